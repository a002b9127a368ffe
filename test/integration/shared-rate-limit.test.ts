import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { IotEmulator } from '../../dev/iot-emulator/server.js'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { aCloudEvent, aTimerEvent } from '../helpers/events.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js'
import { TEST_REDIS_PASSWORD } from '../helpers/secrets.js'

let redis: RedisServer
let emulator: IotEmulator

beforeAll(async () => {
  redis = await startRedisServer({ password: TEST_REDIS_PASSWORD })
})
afterAll(() => redis.stop())
beforeEach(async () => {
  // Each test starts with a fresh schedule and an emulator of its own.
  await redis.restart()
  emulator = new IotEmulator()
  await emulator.start()
})
afterEach(async () => {
  vi.unstubAllEnvs()
  await emulator.stop()
})

/**
 * `count` fresh bundle instances (each its own limiter and connection) sharing the test Redis. Their
 * Redis timeout is generous: these tests are about sharing, and a loaded test machine can stall a reply
 * past the 50 ms default, which would (rightly) send an instance to its own limiter.
 */
function instances(count: number, env: Record<string, string>): BuiltHandler[] {
  return Array.from({ length: count }, () =>
    loadBuiltGateway(emulatorEnv(emulator, { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '1000', ...env })),
  )
}

async function publish(handler: BuiltHandler, timeoutSeconds = 10) {
  const context = anFcContext({ function: { name: 'gw', timeout: timeoutSeconds } })
  const started = performance.now()
  const response = (await handler(asFcEvent(anHttpEvent(aMessage())), context)) as FcHttpResponse
  return { status: response.statusCode, headers: response.headers ?? {}, ms: performance.now() - started }
}

// Deliveries per wall-clock second, as the emulator's quota counts them.
function perSecond(times: number[]): number[] {
  const counts = new Map<number, number>()
  for (const at of times) counts.set(Math.floor(at / 1_000), (counts.get(Math.floor(at / 1_000)) ?? 0) + 1)
  return [...counts.values()]
}

describe('the fleet’s shared rate limit on a real redis-server', () => {
  it('keeps four instances together under PUB_QPS_LIMIT, which no single one could see', async () => {
    // Prepare: a quota the emulator enforces, known to the gateway
    emulator.setQuota(30)
    const deliveredAt: number[] = []
    emulator.on('message', () => deliveredAt.push(Date.now()))
    const fleet = instances(4, { PUB_QPS_LIMIT: '30' })

    // Act: 15 messages at once on each instance
    const answers = await Promise.all(
      fleet.flatMap((handler) => Array.from({ length: 15 }, () => publish(handler))),
    )

    // Assess: all delivered, never more than the quota in a second; at exactly the quota one call may
    // slip past the edge of IoT's window (its windows and the schedule's clock are not aligned), no more
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200))
    expect(emulator.throttled).toBeLessThanOrEqual(1)
    expect(Math.max(...perSecond(deliveredAt))).toBeLessThanOrEqual(30)
  })

  it('refuses at once, with 429 and a Retry-After from the schedule, what cannot get a slot before the deadline', async () => {
    // Prepare: 2 calls a second for the fleet, a 3 s function (2.5 s once the margin is kept)
    const [first, second] = instances(2, { PUB_QPS_LIMIT: '2' })

    // Act: 12 messages over two instances want 6 s of slots
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => publish((i % 2 === 0 ? first : second) as BuiltHandler, 3)),
    )

    // Assess: about five get slots; the rest are refused without waiting out the deadline
    const refused = answers.filter((answer) => answer.status === 429)
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(4)
    expect(refused.length).toBeGreaterThanOrEqual(5)
    for (const answer of refused) {
      expect(answer.ms).toBeLessThan(1_000)
      expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(2)
    }
    expect(emulator.calls).toBe(answers.length - refused.length)
  })

  it('fails timer and EventBridge invocations the schedule cannot serve before the deadline, so the platform retries', async () => {
    // Prepare: the fleet's only slot in the next seconds is taken
    const [busy, timer, events] = instances(3, { PUB_QPS_LIMIT: '1' })
    await publish(busy as BuiltHandler)
    // Each invocation has a context of its own, as on FC: the middleware writes to it.
    const context = () => anFcContext({ function: { name: 'gw', timeout: 1 } })

    // Act
    const fromTimer = (timer as BuiltHandler)(asFcEvent(aTimerEvent(aMessage())), context())
    const fromEvents = (events as BuiltHandler)(asFcEvent([aCloudEvent('mns', aMessage(), 'e1')]), context())

    // Assess
    await Promise.all([
      expect(fromTimer).rejects.toThrow(/Throttled/),
      expect(fromEvents).rejects.toThrow(/RetryableFailures: CloudEvents e1/),
    ])
    expect(emulator.calls).toBe(1)
  })

  it('starts a fresh instance on the shared schedule: it queues behind the fleet instead of bursting', async () => {
    // Prepare: the fleet at 10 calls a second has handed out a second's worth of slots
    const [busy, fresh] = instances(2, { PUB_QPS_LIMIT: '10' })
    const backlog = Array.from({ length: 10 }, () => publish(busy as BuiltHandler))
    await new Promise((resolve) => setTimeout(resolve, 100))

    // Act
    const first = await publish(fresh as BuiltHandler)
    await Promise.all(backlog)

    // Assess: its first call waited for the slots before it
    expect(first.status).toBe(200)
    expect(first.ms).toBeGreaterThan(500)
  })
})

describe('a cold instance without Redis', () => {
  it('starts low and ramps up: 80 messages at once against a quota of 20 a second waste few calls', async () => {
    // Prepare: the default PUB_QPS_LIMIT (1600), far above what the account has left
    emulator.setQuota(20)
    const handler = loadBuiltGateway(emulatorEnv(emulator, { MAX_BATCH_SIZE: '100' }))
    const batch = { messages: Array.from({ length: 80 }, (_, i) => aMessage({ payload: { i } })) }
    const context = anFcContext({ function: { name: 'gw', timeout: 30 } })

    // Act
    const response = (await handler(asFcEvent(anHttpEvent(batch)), context)) as FcHttpResponse

    // Assess: all delivered, with at most a quarter more calls than messages (180 before slow start)
    expect(response.statusCode).toBe(200)
    expect(emulator.delivered).toHaveLength(80)
    expect(emulator.calls).toBeLessThanOrEqual(100)
  })
})
