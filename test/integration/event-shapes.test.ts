import fc from 'fast-check'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FAULTS } from '../../dev/iot-emulator/faults.js'
import { isCloudEvent } from '../../lib/triggers/eventbridge.js'
import { useEmulator } from '../helpers/emulator.js'
import { aCloudEvent, aTimerEvent } from '../helpers/events.js'
import { aMessage, anFcContext, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import { allLogLines, capturedLogs } from '../helpers/logs.js'

const emulator = useEmulator()
// Each message says which test and element it came from, so deliveries can be counted per element.
const marked = (marker: string, deviceName = 'device1') => aMessage({ deviceName, payload: { marker } })
const deliveriesOf = (marker: string) =>
  emulator().delivered.filter((message) => message.payload.toString() === JSON.stringify({ marker })).length

describe('an EventBridge batch with elements that are not CloudEvents', () => {
  let handler: BuiltHandler

  beforeEach(() => {
    emulator().registerProduct('a1Q5XoYtest', ['device1'])
    handler = loadBuiltGateway(emulatorEnv(emulator()))
  })

  it('publishes the valid events and drops each bad element, logged by its index and id', async () => {
    // Prepare
    const withoutId = { ...aCloudEvent('kafka', marked('mixed-no-id')), id: undefined }
    const events = [
      null,
      aCloudEvent('mns', marked('mixed-0'), 'good-0'),
      42,
      { ...aCloudEvent('mns', marked('mixed-x'), 'typeless'), type: undefined },
      { ...aCloudEvent('rocketmq', marked('mixed-y'), 'dataless'), data: undefined },
      withoutId,
      'text',
      aCloudEvent('rabbitmq', marked('mixed-1'), 'good-1'),
    ]

    // Act
    const result = await handler(asFcEvent(events), anFcContext())

    // Assess
    expect(result).toEqual({
      published: 3,
      dropped: [
        {
          index: 0,
          errors: [
            expect.objectContaining({
              message: expect.stringContaining('The element at index 0 is not a CloudEvent'),
            }),
          ],
        },
        { index: 2, errors: [expect.objectContaining({ code: 'InvalidRequest' })] },
        {
          index: 3,
          id: 'typeless',
          errors: [
            expect.objectContaining({
              message: expect.stringContaining('at index 3 (id "typeless") is not a CloudEvent'),
            }),
          ],
        },
        {
          index: 4,
          id: 'dataless',
          errors: [expect.objectContaining({ message: expect.stringContaining('has no data.body') })],
        },
        { index: 6, errors: [expect.objectContaining({ code: 'InvalidRequest' })] },
      ],
    })
    for (const marker of ['mixed-0', 'mixed-no-id', 'mixed-1']) expect(deliveriesOf(marker)).toBe(1)
    const dropped = capturedLogs().filter((line) => line.msg === 'dropped')
    expect(dropped.map((line) => [line.level, line.eventIndex, line.eventId])).toEqual([
      ['warn', 0, undefined],
      ['warn', 2, undefined],
      ['warn', 3, 'typeless'],
      ['warn', 4, 'dataless'],
      ['warn', 6, undefined],
    ])
  })

  it('names a poison CloudEvent without an id by its index', async () => {
    // Prepare
    const events = [
      aCloudEvent('mns', marked('named-0')),
      { ...aCloudEvent('mns', 'not json'), id: undefined },
    ]

    // Act
    const result = await handler(asFcEvent(events), anFcContext())

    // Assess
    expect(result).toEqual({
      published: 1,
      dropped: [
        {
          index: 1,
          errors: [
            expect.objectContaining({ message: 'CloudEvent at index 1: data.messageBody is not JSON' }),
          ],
        },
      ],
    })
  })

  it('fails naming a CloudEvent without an id by its index when its message failed for a retryable reason', async () => {
    // Prepare
    emulator().inject(FAULTS.serviceUnavailable, { durationMs: 5_000 })
    const events = [null, { ...aCloudEvent('mns', marked('retry-no-id')), id: undefined }]

    // Act
    const invocation = handler(asFcEvent(events), anFcContext({ function: { name: 'gw', timeout: 1 } }))

    // Assess
    await expect(invocation).rejects.toThrow(/CloudEvents at index 1 failed/)
  })

  it('names a poison CloudEvent with a huge id by a bounded prefix in its answer and log lines', async () => {
    // Prepare: an id of 100,000 characters on an event of an unsupported type
    const hugeId = `huge-${'h'.repeat(100_000)}`
    const events = [{ ...aCloudEvent('mns', marked('huge-poison'), hugeId), type: 'x:Unknown' }]
    const linesBefore = allLogLines().length

    // Act
    const result = (await handler(asFcEvent(events), anFcContext())) as { dropped: { id: string }[] }

    // Assess
    const shown = result.dropped[0]?.id ?? ''
    expect(shown.startsWith('huge-hhh')).toBe(true)
    expect(shown.length).toBeLessThan(200)
    expect(JSON.stringify(result).length).toBeLessThan(2_000)
    const lines = allLogLines().slice(linesBefore)
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line.length).toBeLessThan(2_000)
  })

  it('fails a batch of CloudEvents with huge ids with a bounded error naming them', async () => {
    // Prepare: IoT is down for 30 events whose ids are 10,000 characters each
    emulator().inject(FAULTS.serviceUnavailable, { durationMs: 5_000 })
    const events = Array.from({ length: 30 }, (_, index) =>
      aCloudEvent('mns', marked(`huge-retry-${index}`), `${index}-${'r'.repeat(10_000)}`),
    )
    const linesBefore = allLogLines().length

    // Act
    const invocation = handler(asFcEvent(events), anFcContext({ function: { name: 'gw', timeout: 1 } }))

    // Assess
    const error = await invocation.then(
      () => undefined,
      (thrown: Error) => thrown,
    )
    expect(error?.message).toMatch(/CloudEvents 0-rrr/)
    expect(error?.message.length).toBeLessThan(4_000)
    for (const line of allLogLines().slice(linesBefore)) expect(line.length).toBeLessThan(4_000)
  })

  it('still refuses, as a direct invocation, an array in which no element is a CloudEvent', async () => {
    // Prepare
    const callsBefore = emulator().calls

    // Act: a message, then an object with only some of a CloudEvent's fields
    const result = await handler(
      asFcEvent([marked('not-a-batch'), { specversion: '1.0', source: 's', data: {} }]),
      anFcContext(),
    )

    // Assess
    expect(result).toMatchObject({ error: { code: 'InvalidRequest' } })
    expect(emulator().calls).toBe(callsBefore)
  })
})

// Elements that are not valid events, some close to one.
const junk = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    null,
    0,
    'x',
    [],
    { specversion: '1.0', source: 's' },
    { ...aCloudEvent('mns', aMessage(), 'no-type'), type: undefined },
    { ...aCloudEvent('mns', aMessage(), 'no-data'), data: undefined },
    { ...aCloudEvent('mns', aMessage(), 'odd-type'), type: 'oss:ObjectCreated:PutObject' },
    aCloudEvent('mns', 'not json', 'not-json'),
    aCloudEvent('mns', aMessage({ qos: 7 as 0 }), 'bad-qos'),
  ),
)
// A valid CloudEvent for a device that exists or not (IoT refuses the latter: poison), with or without id.
const validEvent = fc.record({
  source: fc.constantFrom('mns', 'rocketmq', 'kafka', 'rabbitmq'),
  withId: fc.boolean(),
  exists: fc.boolean(),
})
type Element =
  | { valid: { source: 'mns' | 'rocketmq' | 'kafka' | 'rabbitmq'; withId: boolean; exists: boolean } }
  | { junk: unknown }
const batch = fc.array(
  fc.oneof(
    validEvent.map((valid): Element => ({ valid })),
    junk.map((value): Element => ({ junk: value })),
  ),
  { minLength: 1, maxLength: 10 },
)

let run = 0
// The events of one generated batch, each valid one carrying a message marked with the run and its index.
function eventsOf(elements: Element[]) {
  run += 1
  return elements.map((element, index) => {
    if ('junk' in element) return { event: element.junk, marker: undefined, exists: false }
    const marker = `run-${run}-${index}`
    const { source, withId, exists } = element.valid
    const event = aCloudEvent(source, marked(marker, exists ? 'device1' : 'ghost'), `e-${marker}`)
    return { event: withId ? event : { ...event, id: undefined }, marker, exists }
  })
}

describe('any array of CloudEvents and other JSON', () => {
  beforeAll(() => {
    emulator().registerProduct('a1Q5XoYtest', ['device1'])
  })

  it('publishes every valid event’s message exactly once and never fails while IoT is healthy', async () => {
    const handler = loadBuiltGateway(emulatorEnv(emulator()))
    await fc.assert(
      fc.asyncProperty(batch, async (elements) => {
        // Prepare
        const events = eventsOf(elements)
        const recognised = events.some(({ event }) => isCloudEvent(event))

        // Act
        const result = await handler(asFcEvent(events.map(({ event }) => event)), anFcContext())

        // Assess
        for (const { marker, exists } of events) {
          if (marker !== undefined) expect(deliveriesOf(marker)).toBe(exists ? 1 : 0)
        }
        if (!recognised) expect(result).toMatchObject({ error: { code: 'InvalidRequest' } })
        else {
          const published = events.filter(({ marker, exists }) => marker !== undefined && exists).length
          expect(result).toMatchObject({ published })
          expect((result as { dropped: unknown[] }).dropped).toHaveLength(events.length - published)
        }
      }),
      { numRuns: 150 },
    )
  })

  it('fails only when a valid event’s message failed for a retryable reason, naming each', async () => {
    // Prepare: IoT is down, and the deadline leaves 100 ms for retries
    const handler = loadBuiltGateway(emulatorEnv(emulator(), { DEADLINE_MARGIN_MS: '900' }))
    emulator().inject(FAULTS.serviceUnavailable, { durationMs: 60_000 })
    await fc.assert(
      fc.asyncProperty(batch, async (elements) => {
        // Prepare
        const events = eventsOf(elements)
        const failing = events.flatMap(({ event, marker }, index) =>
          marker === undefined ? [] : [(event as { id?: string }).id ?? `at index ${index}`],
        )

        // Act
        const invocation = handler(
          asFcEvent(events.map(({ event }) => event)),
          anFcContext({ function: { name: 'gw', timeout: 1 } }),
        )

        // Assess
        if (failing.length === 0) await expect(invocation).resolves.toBeDefined()
        else await expect(invocation).rejects.toThrow(`CloudEvents ${failing.join(', ')} failed`)
      }),
      { numRuns: 25 },
    )
  })
})

describe('a timer whose payload is not a string of JSON', () => {
  it.each([
    ['a number', 42],
    ['an object', aMessage()],
    ['an array', [aMessage()]],
    ['null', null],
  ])('logs %s at error level, publishes nothing and does not fail', async (_, payload) => {
    // Prepare
    const handler = loadBuiltGateway(emulatorEnv(emulator()))
    const callsBefore = emulator().calls

    // Act
    const result = await handler(asFcEvent({ ...aTimerEvent(''), payload }), anFcContext())

    // Assess
    expect(result).toMatchObject({
      error: { code: 'InvalidRequest', message: expect.stringContaining('must be a string of JSON') },
    })
    expect(emulator().calls).toBe(callsBefore)
    expect(capturedLogs()).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'invocation', trigger: 'timer', status: 400 }),
    )
  })

  it('logs a payload that is valid JSON but not a valid message at error level too', async () => {
    // Prepare
    const handler = loadBuiltGateway(emulatorEnv(emulator()))

    // Act
    await handler(asFcEvent(aTimerEvent({ productKey: 'pk', qos: 9 })), anFcContext())

    // Assess
    expect(capturedLogs()).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'invocation', trigger: 'timer', outcome: 'failed' }),
    )
  })
})
