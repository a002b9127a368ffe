import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { useEmulator } from '../helpers/emulator.js'
import { aCloudEvent, anInvokeApiEvent, aTimerEvent } from '../helpers/events.js'
import { aMessage, anFcContext, anHttpEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import { jsonPayloadText } from '../helpers/json-text.js'

const emulator = useEmulator()
const NUMBERS = '{"id": 12345678901234567890, "ns": 1732520940123456789, "far": 1e400, "price": 1.50}'
const COMPACT = '{"id":12345678901234567890,"ns":1732520940123456789,"far":1e400,"price":1.50}'
// A message as text, so that its numbers are exactly what a caller wrote.
const messageText = (payload: string, extra = '') =>
  `{"productKey": "a1Q5XoYtest", "deviceName": "device1", "topic": "get", "payload": ${payload}${extra}}`

describe('the device gets the digits the caller wrote', () => {
  let handler: BuiltHandler

  beforeAll(() => {
    handler = loadBuiltGateway(emulatorEnv(emulator()))
  })

  const lastPayload = () => emulator().delivered.at(-1)?.payload.toString('utf8')

  it('over HTTP', async () => {
    // Act
    const response = (await handler(
      Buffer.from(JSON.stringify(anHttpEvent(messageText(NUMBERS)))),
      anFcContext(),
    )) as FcHttpResponse

    // Assess
    expect(response.statusCode).toBe(200)
    expect(lastPayload()).toBe(COMPACT)
  })

  it('invoked directly, for each message of a batch', async () => {
    // Prepare
    const before = emulator().delivered.length

    // Act
    await handler(
      Buffer.from(`{"messages": [${messageText(NUMBERS)}, ${messageText('[-0, 1E5]')}]}`),
      anFcContext(),
    )

    // Assess
    expect(
      emulator()
        .delivered.slice(before)
        .map((message) => message.payload.toString()),
    ).toEqual([COMPACT, '[-0,1E5]'])
  })

  it('from an InvokeFunction call FC delivered in the HTTP shape', async () => {
    // Act: the call's context names the account and region of the invoke API's domain
    const result = await handler(
      Buffer.from(JSON.stringify(anInvokeApiEvent(messageText(NUMBERS)))),
      anFcContext(),
    )

    // Assess
    expect(result).toMatchObject({ messageId: expect.any(String) })
    expect(lastPayload()).toBe(COMPACT)
  })

  it('from a timer’s payload string', async () => {
    // Act
    await handler(Buffer.from(JSON.stringify(aTimerEvent(messageText(NUMBERS)))), anFcContext())

    // Assess
    expect(lastPayload()).toBe(COMPACT)
  })

  it('from an MNS CloudEvent’s text and from Kafka’s JSON format, parsed with the event', async () => {
    // Prepare: Kafka's JSON format puts the message itself, not its text, in data.value
    const mns = JSON.stringify(aCloudEvent('mns', messageText(NUMBERS), 'mns-1'))
    const kafka = JSON.stringify(aCloudEvent('kafka', { placeholder: true }, 'kafka-1', true)).replace(
      '{"placeholder":true}',
      messageText('[0.10, 99999999999999999999]'),
    )
    const before = emulator().delivered.length

    // Act
    const result = await handler(Buffer.from(`[${mns}, ${kafka}]`), anFcContext())

    // Assess
    expect(result).toEqual({ published: 2, dropped: [] })
    expect(
      emulator()
        .delivered.slice(before)
        .map((message) => message.payload.toString()),
    ).toEqual([COMPACT, '[0.10,99999999999999999999]'])
  })

  it('measures the payload limit on the exact text', async () => {
    // Prepare: 2 bytes of JSON.stringify's text, 11 of the caller's
    const limited = loadBuiltGateway(emulatorEnv(emulator(), { MAX_PAYLOAD_BYTES: '10' }))

    // Act
    const response = (await limited(
      Buffer.from(JSON.stringify(anHttpEvent(messageText('[1.000000000]')))),
      anFcContext(),
    )) as FcHttpResponse

    // Assess
    expect(response.statusCode).toBe(413)
  })

  it('for any JSON payload with big integers, long fractions and exponents, byte for byte once compacted', async () => {
    await fc.assert(
      fc.asyncProperty(jsonPayloadText, async ({ text, compact }) => {
        // Act
        const response = (await handler(
          Buffer.from(JSON.stringify(anHttpEvent(messageText(text)))),
          anFcContext(),
        )) as FcHttpResponse

        // Assess
        expect(response.statusCode).toBe(200)
        expect(lastPayload()).toBe(compact)
      }),
      { numRuns: 150 },
    )
  })
})

// Text with at least one lone surrogate, somewhere in it.
const loneSurrogate = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800')
const withLoneSurrogate = fc
  .tuple(fc.string({ maxLength: 6 }), loneSurrogate, fc.string({ maxLength: 6 }))
  .map(([before, lone, after]) => `${before}${lone}${after}`)

// Where a lone surrogate may sit, and the pointer that must name it.
const PLACES: [string, (text: string) => object, (text: string) => string][] = [
  ['payload', (text) => aMessage({ payload: text }), () => '/payload'],
  ['a string in the payload', (text) => aMessage({ payload: { deep: [text] } }), () => '/payload/deep/0'],
  [
    'a key in the payload',
    (text) => aMessage({ payload: { [text]: 1 } }),
    (text) => `/payload/${pointerSegment(text)}`,
  ],
  ['correlationData', (text) => aMessage({ correlationData: text }), () => '/correlationData'],
  [
    'a userProperties key',
    (text) => aMessage({ userProperties: { [text]: 'v' } }),
    (text) => `/userProperties/${pointerSegment(text)}`,
  ],
  ['a userProperties value', (text) => aMessage({ userProperties: { k: text } }), () => '/userProperties/k'],
  ['productKey', (text) => aMessage({ productKey: text }), () => '/productKey'],
  ['deviceName', (text) => aMessage({ deviceName: text }), () => '/deviceName'],
  ['topic', (text) => aMessage({ topic: text }), () => '/topic'],
  [
    'topicFullName',
    (text) => ({ productKey: 'pk', topicFullName: `/pk/d/user/${text}`, payload: 1 }),
    () => '/topicFullName',
  ],
  ['responseTopic', (text) => aMessage({ responseTopic: text }), () => '/responseTopic'],
]

function pointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

describe('text that UTF-8 cannot carry', () => {
  let handler: BuiltHandler

  beforeAll(() => {
    handler = loadBuiltGateway(emulatorEnv(emulator()))
  })

  it.each(PLACES)(
    'in %s is refused with 400 naming the field, and nothing is sent',
    async (_, build, pointer) => {
      await fc.assert(
        fc.asyncProperty(withLoneSurrogate, async (text) => {
          // Prepare: JSON.stringify writes a lone surrogate as a \ud800 escape, as a caller's text would
          const callsBefore = emulator().calls

          // Act
          const response = (await handler(
            Buffer.from(JSON.stringify(anHttpEvent(JSON.stringify(build(text))))),
            anFcContext(),
          )) as FcHttpResponse

          // Assess
          expect(response.statusCode).toBe(400)
          const details = JSON.parse(response.body).error.details as { pointer: string }[]
          expect(details.map((detail) => detail.pointer)).toContain(pointer(text))
          expect(emulator().calls).toBe(callsBefore)
        }),
        { numRuns: 40 },
      )
    },
  )

  it('in an EventBridge message is dropped as poison, not failed (which would redeliver it forever)', async () => {
    // Prepare
    const before = emulator().delivered.length
    const events = [
      aCloudEvent('mns', aMessage({ userProperties: { k: '\ud800' } }), 'lone'),
      aCloudEvent('mns', aMessage({ payload: 'fine' }), 'fine'),
    ]

    // Act
    const result = await handler(Buffer.from(JSON.stringify(events)), anFcContext())

    // Assess
    expect(result).toMatchObject({
      published: 1,
      dropped: [
        {
          index: 0,
          id: 'lone',
          errors: [{ code: 'InvalidRequest', details: [{ pointer: '/userProperties/k' }] }],
        },
      ],
    })
    expect(emulator().delivered.length - before).toBe(1)
  })
})

describe('composed limits', () => {
  it('refuses a short responseTopic whose full topic is over 128 characters, naming /responseTopic', async () => {
    // Prepare: '/a1Q5XoYtest/device1/user/' is 26 characters; the short name alone is within the schema's 128
    const handler = loadBuiltGateway(emulatorEnv(emulator()))
    const callsBefore = emulator().calls

    // Act
    const response = (await handler(
      Buffer.from(JSON.stringify(anHttpEvent(aMessage({ responseTopic: 'r'.repeat(103) })))),
      anFcContext(),
    )) as FcHttpResponse

    // Assess
    expect(response.statusCode).toBe(400)
    expect(JSON.parse(response.body).error.details).toEqual([
      { pointer: '/responseTopic', message: 'makes a full topic longer than 128 characters' },
    ])
    expect(emulator().calls).toBe(callsBefore)
  })

  it('publishes a short responseTopic whose full topic is exactly 128 characters', async () => {
    // Prepare
    const handler = loadBuiltGateway(emulatorEnv(emulator()))

    // Act
    const response = (await handler(
      Buffer.from(JSON.stringify(anHttpEvent(aMessage({ responseTopic: 'r'.repeat(102) })))),
      anFcContext(),
    )) as FcHttpResponse

    // Assess
    expect(response.statusCode).toBe(200)
    expect(emulator().delivered.at(-1)?.responseTopic).toHaveLength(128)
  })
})
