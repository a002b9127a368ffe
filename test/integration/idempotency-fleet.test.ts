import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FAULTS } from '../../dev/iot-emulator/faults.js'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { useEmulator } from '../helpers/emulator.js'
import { aCloudEvent } from '../helpers/events.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import { capturedLogs } from '../helpers/logs.js'
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js'
import { TEST_API_KEY } from '../helpers/secrets.js'

// Several fresh instances of the built bundle share one real redis-server, as an FC fleet shares Redis.
const emulator = useEmulator()
let redis: RedisServer
let keys = 0
const freshKey = () => `fleet-${process.pid}-${Date.now()}-${keys++}`

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(() => redis.stop())

// A generous REDIS_TIMEOUT_MS: the point here is the semantics, not how a slow reply falls back.
function instance(url = redis.url): BuiltHandler {
  return loadBuiltGateway(emulatorEnv(emulator(), { REDIS_URL: url, REDIS_TIMEOUT_MS: '1000' }))
}

async function post(handler: BuiltHandler, body: unknown, key?: string, timeout = 3) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${TEST_API_KEY}`,
  }
  if (key !== undefined) headers['idempotency-key'] = key
  const context = anFcContext({ function: { name: 'gw', timeout } })
  const response = (await handler(asFcEvent(anHttpEvent(body, { headers })), context)) as FcHttpResponse
  return { status: response.statusCode, headers: response.headers, json: JSON.parse(response.body) }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

describe('idempotency keys shared by a fleet on Redis', () => {
  beforeEach(() => {
    emulator().registerProduct('a1Q5XoYtest', ['device1'])
  })

  it('answers a key replayed on another instance with the first answer, publishing once', async () => {
    // Prepare
    const key = freshKey()
    const before = emulator().delivered.length
    const first = await post(instance(), aMessage(), key)

    // Act
    const again = await post(instance(), aMessage(), key)

    // Assess
    expect(first.json.idempotency).toBe('stored')
    expect(again).toMatchObject({ status: 200, json: { ...first.json, idempotency: 'replayed' } })
    expect(emulator().delivered.length - before).toBe(1)
  })

  it('refuses a key reused on another instance for a different message with 422', async () => {
    // Prepare
    const key = freshKey()
    await post(instance(), aMessage({ payload: 'one' }), key)
    const before = emulator().delivered.length

    // Act
    const reused = await post(instance(), aMessage({ payload: 'two' }), key)

    // Assess
    expect(reused.status).toBe(422)
    expect(reused.json.error.code).toBe('IdempotencyKeyReused')
    expect(emulator().delivered.length).toBe(before)
  })

  it('publishes exactly once when many instances race on one key', async () => {
    // Prepare: IoT answers slowly, so that the racers overlap
    const key = freshKey()
    const fleet = Array.from({ length: 6 }, () => instance())
    emulator().inject({ kind: 'delay', ms: 400 }, { times: 6 })
    const before = emulator().delivered.length

    // Act
    const answers = await Promise.all(
      fleet.map((handler) => post(handler, aMessage({ payload: 'race' }), key)),
    )
    const settled = await Promise.all(
      fleet.map((handler) => post(handler, aMessage({ payload: 'race' }), key)),
    )

    // Assess: one publish; the others were told to retry (409) or got its answer
    expect(emulator().delivered.length - before).toBe(1)
    const stored = answers.filter((answer) => answer.json.idempotency === 'stored')
    expect(stored).toHaveLength(1)
    for (const answer of answers.filter((other) => other !== stored[0])) {
      if (answer.status === 409) {
        expect(answer.json.error.code).toBe('IdempotencyKeyInProgress')
        expect(answer.headers['retry-after']).toBe('1')
      } else expect(answer.json).toEqual({ ...stored[0]?.json, idempotency: 'replayed' })
    }
    expect(settled.map((answer) => answer.json.messageId)).toEqual(Array(6).fill(stored[0]?.json.messageId))
  })

  it('spends a key whose publish may have happened (504): a retry elsewhere sends nothing', async () => {
    // Prepare: IoT never answers the first instance within its one-second invocation
    const key = freshKey()
    emulator().inject(FAULTS.hang, { durationMs: 1_500 })
    const first = await post(instance(), aMessage(), key, 1)
    emulator().clearFaults()
    const calls = emulator().calls

    // Act
    const retried = await post(instance(), aMessage(), key)

    // Assess
    expect(first).toMatchObject({ status: 504, json: { error: { code: 'UpstreamTimeout' } } })
    expect(retried).toMatchObject({ status: 504, json: { error: { code: 'UpstreamTimeout' } } })
    expect(retried.json.error.message).toMatch(/not sent again under this key/)
    expect(retried.headers['retry-after']).toBeUndefined()
    expect(emulator().calls).toBe(calls)
  })

  it('publishes only the events of a batch redelivered to another instance that were not published', async () => {
    // Prepare: e3's device does not exist at first
    const events = [
      aCloudEvent('rocketmq', aMessage({ payload: 'e1' }), freshKey()),
      aCloudEvent('rocketmq', aMessage({ payload: 'e2' }), freshKey()),
      aCloudEvent('rocketmq', aMessage({ deviceName: 'device3', payload: 'e3' }), freshKey()),
    ]
    await instance()(asFcEvent(events), anFcContext())
    emulator().registerProduct('a1Q5XoYtest', ['device1', 'device3'])
    const before = emulator().delivered.length

    // Act
    const redelivered = await instance()(asFcEvent(events), anFcContext())

    // Assess
    expect(
      emulator()
        .delivered.slice(before)
        .map((message) => message.payload.toString()),
    ).toEqual(['e3'])
    expect(redelivered).toMatchObject({
      published: 1,
      alreadyPublished: [{ id: events[0]?.id }, { id: events[1]?.id }],
    })
  })

  it('fails an event invocation whose key is still in flight elsewhere, so that the source redelivers', async () => {
    // Prepare: the first instance's publish is slow
    const event = aCloudEvent('mns', aMessage({ payload: 'slow' }), freshKey())
    emulator().inject({ kind: 'delay', ms: 600 }, { times: 1 })
    const first = instance()(asFcEvent([event]), anFcContext())
    await sleep(200)

    // Act
    const concurrent = instance()(asFcEvent([event]), anFcContext())

    // Assess
    await expect(concurrent).rejects.toThrow(new RegExp(`CloudEvents ${event.id} failed`))
    await expect(first).resolves.toMatchObject({ published: 1 })
    await expect(instance()(asFcEvent([event]), anFcContext())).resolves.toMatchObject({ published: 0 })
  })

  it('keeps publishing when Redis is killed mid-run: without keys as ever, with keys unprotected and saying so', async () => {
    // Prepare: an instance on a Redis of its own, which dies after the first message
    const own = await startRedisServer()
    const handler = instance(own.url)
    const stored = await post(handler, aMessage(), freshKey())
    await own.kill()
    const before = emulator().delivered.length

    // Act
    const plain = await post(handler, aMessage())
    const keyed = await post(handler, aMessage(), freshKey())
    const keyedAgain = await post(handler, aMessage(), freshKey())
    await own.restart()
    let recovered = await post(handler, aMessage(), freshKey())
    for (let tries = 0; recovered.json.idempotency !== 'stored' && tries < 20; tries++) {
      await sleep(200)
      recovered = await post(handler, aMessage(), freshKey())
    }
    // Counted before Redis stops for good, which is an outage of its own.
    const outages = capturedLogs().filter((line) => String(line.msg).startsWith('redis unavailable'))
    await own.stop()

    // Assess
    expect(stored.json.idempotency).toBe('stored')
    expect([plain.status, keyed.status, keyedAgain.status]).toEqual([200, 200, 200])
    expect(plain.json.idempotency).toBeUndefined()
    expect([keyed.json.idempotency, keyedAgain.json.idempotency]).toEqual(['unavailable', 'unavailable'])
    expect(emulator().delivered.length - before).toBeGreaterThanOrEqual(3)
    expect(recovered.json.idempotency).toBe('stored')
    expect(outages).toHaveLength(1)
  })
})
