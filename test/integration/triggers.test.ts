import { beforeEach, describe, expect, it } from 'vitest'
import { FAULTS } from '../../dev/iot-emulator/faults.js'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { useEmulator } from '../helpers/emulator.js'
import { aCloudEvent, aTimerEvent } from '../helpers/events.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import { capturedLogs } from '../helpers/logs.js'

const emulator = useEmulator()
const numbered = (count: number) => Array.from({ length: count }, (_, n) => aMessage({ payload: { n } }))
const shortFunction = () => anFcContext({ function: { name: 'gw', timeout: 1 } })

describe('batches over HTTP', () => {
  let handler: BuiltHandler

  beforeEach(() => {
    emulator().registerProduct('a1Q5XoYtest', ['device1'])
    handler = loadBuiltGateway(emulatorEnv(emulator()))
  })

  async function postBatch(messages: unknown[]) {
    const response = (await handler(asFcEvent(anHttpEvent({ messages })), anFcContext())) as FcHttpResponse
    return { status: response.statusCode, headers: response.headers, json: JSON.parse(response.body) }
  }

  it('publishes every message and answers 200 with results in request order', async () => {
    // Act
    const response = await postBatch(numbered(30))

    // Assess: each result names the message IoT delivered for the item at its position
    expect(response.status).toBe(200)
    const payloadById = new Map(
      emulator().delivered.map((message) => [message.messageId, message.payload.toString()]),
    )
    expect(
      response.json.results.map((result: { messageId: string }) => payloadById.get(result.messageId)),
    ).toEqual(Array.from({ length: 30 }, (_, n) => `{"n":${n}}`))
  })

  it('answers 207 when some messages fail, each failure with its error and status', async () => {
    // Act
    const response = await postBatch([aMessage(), aMessage({ deviceName: 'ghost' }), aMessage()])

    // Assess
    expect(response.status).toBe(207)
    expect(response.json.results[0]).toEqual({ messageId: expect.any(String), requestId: expect.any(String) })
    expect(response.json.results[1]).toMatchObject({
      status: 404,
      error: { code: 'iot.device.NotExistedDevice' },
    })
    expect(response.json.results[2]).toHaveProperty('messageId')
  })

  it('answers with the first failure’s status when every message fails', async () => {
    // Act
    const response = await postBatch([aMessage({ deviceName: 'ghost' }), aMessage({ productKey: 'nope' })])

    // Assess
    expect(response.status).toBe(404)
    expect(response.json.results).toHaveLength(2)
  })

  it('refuses the whole batch when one item is invalid, naming it, and sends nothing', async () => {
    // Prepare
    const callsBefore = emulator().calls
    const messages = numbered(5)
    messages[3] = aMessage({ qos: 2 as 0 })

    // Act
    const response = await postBatch(messages)

    // Assess
    expect(response.status).toBe(400)
    expect(response.json.error.details).toEqual([expect.objectContaining({ pointer: '/messages/3/qos' })])
    expect(emulator().calls).toBe(callsBefore)
  })

  it.each([
    ['empty', []],
    ['over MAX_BATCH_SIZE', numbered(101)],
  ])('refuses a batch that is %s with 400', async (_, messages) => {
    // Act
    const response = await postBatch(messages)

    // Assess
    expect(response.status).toBe(400)
    expect(response.json.error.details[0].pointer).toBe('/messages')
  })
})

describe('batches invoked directly', () => {
  it('returns the same results an HTTP body would carry', async () => {
    // Prepare
    const handler = loadBuiltGateway(emulatorEnv(emulator()))

    // Act
    const result = await handler(asFcEvent({ messages: numbered(3) }), anFcContext())

    // Assess
    expect(result).toEqual({
      results: [
        expect.objectContaining({ messageId: expect.any(String) }),
        expect.anything(),
        expect.anything(),
      ],
    })
  })

  it('fails when a message failed for a retryable reason, so FC retries the invocation', async () => {
    // Prepare
    emulator().inject(FAULTS.serviceUnavailable, { durationMs: 5_000 })
    const handler = loadBuiltGateway(emulatorEnv(emulator()))

    // Act
    const invocation = handler(asFcEvent({ messages: numbered(2) }), shortFunction())

    // Assess
    await expect(invocation).rejects.toThrow(/RetryableFailures: messages 0, 1 of the batch/)
  })
})

describe('the timer trigger', () => {
  it.each([
    ['one message', aMessage({ payload: 'tick' }), 1],
    ['a batch', { messages: numbered(4) }, 4],
  ])('publishes %s from its payload string', async (_, payload, count) => {
    // Prepare
    const handler = loadBuiltGateway(emulatorEnv(emulator()))
    const before = emulator().delivered.length

    // Act
    await handler(asFcEvent(aTimerEvent(payload)), anFcContext())

    // Assess
    expect(emulator().delivered.length - before).toBe(count)
  })

  it('fails loudly in the log and publishes nothing when the payload is not valid', async () => {
    // Prepare
    const handler = loadBuiltGateway(emulatorEnv(emulator()))
    const callsBefore = emulator().calls

    // Act
    const result = await handler(asFcEvent(aTimerEvent('{"productKey": "pk", "qos": 9}')), anFcContext())

    // Assess
    expect(result).toMatchObject({ error: { code: 'InvalidRequest' } })
    expect(emulator().calls).toBe(callsBefore)
    expect(capturedLogs()).toContainEqual(
      expect.objectContaining({
        trigger: 'timer',
        outcome: 'failed',
        error: expect.objectContaining({ code: 'InvalidRequest' }),
      }),
    )
  })
})

describe('EventBridge triggers', () => {
  let handler: BuiltHandler

  beforeEach(() => {
    emulator().registerProduct('a1Q5XoYtest', ['device1'])
    handler = loadBuiltGateway(emulatorEnv(emulator()))
  })

  it.each(['mns', 'rocketmq', 'kafka', 'rabbitmq'] as const)(
    'publishes the message of one %s CloudEvent',
    async (source) => {
      // Prepare
      const before = emulator().delivered.length

      // Act
      const result = await handler(
        asFcEvent(aCloudEvent(source, aMessage({ payload: source }))),
        anFcContext(),
      )

      // Assess
      expect(result).toEqual({ published: 1, dropped: [] })
      expect(
        emulator()
          .delivered.slice(before)
          .map((message) => message.payload.toString()),
      ).toEqual([source])
    },
  )

  it('publishes a batch of CloudEvents, each carrying one message or a batch', async () => {
    // Prepare
    const before = emulator().delivered.length
    const events = [
      aCloudEvent('kafka', aMessage(), 'k1', true),
      aCloudEvent('mns', { messages: numbered(3) }, 'm1'),
    ]

    // Act
    const result = await handler(asFcEvent(events), anFcContext())

    // Assess
    expect(result).toEqual({ published: 4, dropped: [] })
    expect(emulator().delivered.length - before).toBe(4)
  })

  it('drops poison events, logging each id and reason, and publishes the rest without failing', async () => {
    // Prepare
    const events = [
      aCloudEvent('mns', 'not json', 'poison-json'),
      aCloudEvent('mns', aMessage({ qos: 3 as 0 }), 'poison-schema'),
      aCloudEvent('mns', aMessage({ deviceName: 'ghost' }), 'poison-device'),
      aCloudEvent('mns', aMessage(), 'good'),
    ]

    // Act
    const result = await handler(asFcEvent(events), anFcContext())

    // Assess
    expect(result).toMatchObject({
      published: 1,
      dropped: [{ id: 'poison-json' }, { id: 'poison-schema' }, { id: 'poison-device' }],
    })
    const dropped = capturedLogs().filter((line) => line.msg === 'dropped')
    expect(dropped.map((line) => line.eventId)).toEqual(['poison-json', 'poison-schema', 'poison-device'])
    expect(dropped[2]).toMatchObject({ error: { code: 'iot.device.NotExistedDevice' } })
  })

  it('fails with the ids of events whose messages failed for a retryable reason, so the source redelivers', async () => {
    // Prepare
    emulator().inject(FAULTS.serviceUnavailable, { durationMs: 5_000 })

    // Act
    const invocation = handler(
      asFcEvent([aCloudEvent('rocketmq', aMessage(), 'r1'), aCloudEvent('rocketmq', aMessage(), 'r2')]),
      shortFunction(),
    )

    // Assess
    await expect(invocation).rejects.toThrow(/CloudEvents r1, r2 failed/)
  })
})
