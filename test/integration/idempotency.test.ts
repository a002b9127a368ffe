import { beforeEach, describe, expect, it } from 'vitest'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { useEmulator } from '../helpers/emulator.js'
import { aCloudEvent } from '../helpers/events.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import { capturedLogs } from '../helpers/logs.js'
import { TEST_API_KEY } from '../helpers/secrets.js'

// Without REDIS_URL: keys are remembered by each instance, and every answer says so.
const emulator = useEmulator()

async function post(handler: BuiltHandler, body: unknown, key?: string) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${TEST_API_KEY}`,
  }
  if (key !== undefined) headers['Idempotency-Key'] = key
  const response = (await handler(asFcEvent(anHttpEvent(body, { headers })), anFcContext())) as FcHttpResponse
  return { status: response.statusCode, json: JSON.parse(response.body) }
}

describe('idempotency keys without REDIS_URL (this instance’s memory)', () => {
  let handler: BuiltHandler

  beforeEach(() => {
    emulator().registerProduct('a1Q5XoYtest', ['device1'])
    handler = loadBuiltGateway(emulatorEnv(emulator()))
  })

  it('answers a replayed Idempotency-Key with the first answer, 200, publishing nothing', async () => {
    // Prepare
    const before = emulator().delivered.length
    const first = await post(handler, aMessage(), 'order-1')

    // Act
    const again = await post(handler, aMessage(), 'order-1')

    // Assess
    expect(first).toEqual({ status: 200, json: expect.objectContaining({ idempotency: 'instance' }) })
    expect(again.status).toBe(200)
    expect(again.json).toEqual({ ...first.json, idempotency: 'replayed' })
    expect(emulator().delivered.length - before).toBe(1)
  })

  it('answers a key reused for a different message with 422 IdempotencyKeyReused, publishing nothing', async () => {
    // Prepare
    await post(handler, aMessage({ payload: 'first' }), 'order-2')
    const before = emulator().delivered.length

    // Act
    const reused = await post(handler, aMessage({ payload: 'second' }), 'order-2')

    // Assess
    expect(reused.status).toBe(422)
    expect(reused.json.error).toMatchObject({ code: 'IdempotencyKeyReused' })
    expect(emulator().delivered.length).toBe(before)
  })

  it('says that a new instance does not know the key: memory is per instance, a best effort', async () => {
    // Prepare
    const before = emulator().delivered.length
    await post(handler, aMessage(), 'order-3')
    const otherInstance = loadBuiltGateway(emulatorEnv(emulator()))

    // Act
    const elsewhere = await post(otherInstance, aMessage(), 'order-3')

    // Assess
    expect(elsewhere.json.idempotency).toBe('instance')
    expect(emulator().delivered.length - before).toBe(2)
  })

  it('delivers a message with an idempotencyKey exactly as the same message without one', async () => {
    // Prepare
    const message = aMessage({ payload: { on: true }, userProperties: { a: 'b' }, qos: 1 })

    // Act
    await post(handler, message)
    await post(handler, { ...message, idempotencyKey: 'order-4' })

    // Assess: the key is the gateway's, never IoT's or the device's
    const [plain, keyed] = emulator().delivered.slice(-2)
    expect({ ...keyed, messageId: '' }).toEqual({ ...plain, messageId: '' })
  })

  it('refuses an idempotencyKey that is too long or not printable ASCII, naming the field', async () => {
    // Act
    const answers = [
      await post(handler, aMessage({ idempotencyKey: 'k'.repeat(256) })),
      await post(handler, { messages: [aMessage(), aMessage({ idempotencyKey: 'clé' })] }),
    ]

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([400, 400])
    expect(answers[0]?.json.error.details[0].pointer).toBe('/idempotencyKey')
    expect(answers[1]?.json.error.details[0].pointer).toBe('/messages/1/idempotencyKey')
  })

  it('publishes a batch with per-message keys once, and replays each item on a retry of the batch', async () => {
    // Prepare
    const batch = {
      messages: [
        aMessage({ idempotencyKey: 'a', payload: 1 }),
        aMessage({ idempotencyKey: 'b', payload: 2 }),
      ],
    }
    const before = emulator().delivered.length
    const first = await post(handler, batch)

    // Act
    const again = await post(handler, batch)

    // Assess
    expect(emulator().delivered.length - before).toBe(2)
    expect(again.status).toBe(200)
    expect(again.json.results.map((result: { messageId: string }) => result.messageId)).toEqual(
      first.json.results.map((result: { messageId: string }) => result.messageId),
    )
    expect(again.json.results.map((result: { idempotency: string }) => result.idempotency)).toEqual([
      'replayed',
      'replayed',
    ])
  })

  it('republishes only the events of a redelivered batch that were not published, reporting the others', async () => {
    // Prepare: the first delivery publishes e1 and e2; e3 hits a device that does not exist yet
    const events = [
      aCloudEvent('mns', aMessage({ payload: 'e1' }), 'e1'),
      aCloudEvent('mns', { messages: [aMessage({ payload: 'e2a' }), aMessage({ payload: 'e2b' })] }, 'e2'),
      aCloudEvent('mns', aMessage({ deviceName: 'device2', payload: 'e3' }), 'e3'),
    ]
    const first = await handler(asFcEvent(events), anFcContext())
    emulator().registerProduct('a1Q5XoYtest', ['device1', 'device2'])
    const before = emulator().delivered.length

    // Act
    const redelivered = await handler(asFcEvent(events), anFcContext())

    // Assess
    expect(first).toMatchObject({ published: 3, dropped: [{ id: 'e3' }] })
    expect(
      emulator()
        .delivered.slice(before)
        .map((message) => message.payload.toString()),
    ).toEqual(['e3'])
    expect(redelivered).toEqual({
      published: 1,
      dropped: [],
      alreadyPublished: [
        { index: 0, id: 'e1', messageIds: [expect.any(String)] },
        { index: 1, id: 'e2', messageIds: [expect.any(String), expect.any(String)] },
      ],
    })
    const line = capturedLogs().findLast((entry) => entry.msg === 'invocation')
    expect(line).toMatchObject({ published: 1, replayed: 3 })
  })
})
