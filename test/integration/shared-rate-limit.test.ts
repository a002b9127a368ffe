import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { IotEmulator } from '../../dev/iot-emulator/server.js'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import { capturedLogs } from '../helpers/logs.js'
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

/** `count` fresh bundle instances (each its own limiter and connection) sharing the test Redis. */
function instances(count: number, env: Record<string, string>): BuiltHandler[] {
  return Array.from({ length: count }, () =>
    loadBuiltGateway(emulatorEnv(emulator, { REDIS_URL: redis.url, ...env })),
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

    // Assess: all delivered, none throttled, never more than the quota in a second
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200))
    expect(emulator.throttled).toBe(0)
    expect(Math.max(...perSecond(deliveredAt))).toBeLessThanOrEqual(30)
  })
})
