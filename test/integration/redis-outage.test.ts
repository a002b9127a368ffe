// In a file of its own: no other test's instances are connected to this server, so every outage line
// counted here is one of this test's instances.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { useEmulator } from '../helpers/emulator.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import { capturedLogs } from '../helpers/logs.js'
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js'
import { TEST_REDIS_PASSWORD } from '../helpers/secrets.js'

const emulator = useEmulator()
let redis: RedisServer

beforeAll(async () => {
  redis = await startRedisServer({ password: TEST_REDIS_PASSWORD })
})
afterAll(() => redis.stop())

async function publish(handler: BuiltHandler) {
  const context = anFcContext({ function: { name: 'gw', timeout: 10 } })
  const started = performance.now()
  const response = (await handler(asFcEvent(anHttpEvent(aMessage())), context)) as FcHttpResponse
  return { status: response.statusCode, ms: performance.now() - started }
}

describe('a Redis outage under the shared rate limit', () => {
  it('keeps every message when Redis is killed mid-run, falling back at once with one log line per instance', async () => {
    // Prepare: a killed server fails commands at once whatever the timeout; a generous one keeps a loaded
    // test machine from adding outages of its own (slowness is tested in redis-connection.test.ts)
    const env = { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '1000', PUB_QPS_LIMIT: '200' }
    const fleet = Array.from({ length: 3 }, () => loadBuiltGateway(emulatorEnv(emulator(), env)))
    const round = () => Promise.all(fleet.flatMap((handler) => [publish(handler), publish(handler)]))
    await round()

    // Act: Redis dies; the fleet keeps publishing, then Redis comes back empty
    await redis.kill()
    const during = await Promise.all([round(), round()])
    await redis.restart()
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const after = await round()

    // Assess: nothing lost or held, one outage line per instance, each found Redis again
    const answers = [...during.flat(), ...after]
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200))
    expect(Math.max(...during.flat().map((answer) => answer.ms))).toBeLessThan(2_000)
    expect(emulator().delivered).toHaveLength(6 * 4)
    const lines = capturedLogs().map((line) => line.msg)
    expect(
      lines.filter((msg) => msg === 'redis unavailable: per-instance fallback until it answers'),
    ).toHaveLength(3)
    expect(lines.filter((msg) => msg === 'redis available again')).toHaveLength(3)
  })
})
