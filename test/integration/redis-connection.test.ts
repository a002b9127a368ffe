import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../lib/log.js'
import { RedisConnection, urlSecrets } from '../../lib/redis/connection.js'
import { capturedLogs } from '../helpers/logs.js'
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js'
import { TEST_REDIS_PASSWORD } from '../helpers/secrets.js'

const opened: RedisConnection[] = []

function connect(url: string, timeoutMs = 50): RedisConnection {
  const connection = new RedisConnection({ url, timeoutMs, logger: createLogger(), probeIntervalMs: 50 })
  opened.push(connection)
  return connection
}

const redisLines = () => capturedLogs().filter((line) => String(line.msg).startsWith('redis'))

async function eventually(check: () => Promise<boolean>, ms = 3_000): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition never held')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('RedisConnection against a real redis-server', () => {
  let redis: RedisServer

  beforeAll(async () => {
    redis = await startRedisServer({ password: TEST_REDIS_PASSWORD })
  })
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((connection) => connection.close()))
  })
  afterAll(() => redis.stop())

  it('runs commands with the password from REDIS_URL', async () => {
    // Prepare
    const connection = connect(redis.url)

    // Act
    const reply = await connection.run((client) => client.ping())

    // Assess
    expect(reply).toBe('PONG')
    expect(connection.available).toBe(true)
  })

  it('answers undefined for a wrong password, logging one line without any form of the URL', async () => {
    // Prepare
    const wrong = redis.url.replace(encodeURIComponent(TEST_REDIS_PASSWORD), 'wrong-password-91b3')
    const connection = connect(wrong)

    // Act
    const replies = await Promise.all([1, 2, 3].map(() => connection.run((client) => client.ping())))

    // Assess
    expect(replies).toEqual([undefined, undefined, undefined])
    const lines = redisLines()
    expect(lines).toHaveLength(1)
    for (const secret of urlSecrets(wrong)) expect(JSON.stringify(lines)).not.toContain(secret)
  })

  it('falls back at once while Redis is down, logs one line per outage, and recovers in the background', async () => {
    // Prepare
    const connection = connect(redis.url)
    await connection.run((client) => client.ping())

    // Act: killed, many commands fail; restarted, the probe finds it again
    await redis.kill()
    const started = performance.now()
    const during = await Promise.all(
      Array.from({ length: 20 }, () => connection.run((client) => client.ping())),
    )
    const elapsed = performance.now() - started
    await redis.restart()
    await eventually(async () => (await connection.run((client) => client.ping())) === 'PONG')

    // Assess
    expect(during.every((reply) => reply === undefined)).toBe(true)
    expect(elapsed).toBeLessThan(1_000)
    expect(redisLines().map((line) => line.msg)).toEqual([
      'redis unavailable: per-instance fallback until it answers',
      'redis available again',
    ])
  })

  it('treats a reply slower than REDIS_TIMEOUT_MS as an outage', async () => {
    // Prepare: another client pauses every client's commands for longer than the timeout
    const connection = connect(redis.url, 30)
    const pauser = connect(redis.url, 1_000)
    await connection.run((client) => client.ping())

    // Act
    await pauser.run((client) => client.call('CLIENT', 'PAUSE', '400', 'ALL'))
    const started = performance.now()
    const reply = await connection.run((client) => client.ping())
    const elapsed = performance.now() - started
    const next = await connection.run((client) => client.ping())

    // Assess: the first waits its timeout, the next one does not wait at all
    expect(reply).toBeUndefined()
    expect(elapsed).toBeLessThan(300)
    expect(next).toBeUndefined()
    expect(connection.available).toBe(false)
    await eventually(async () => connection.available)
  })

  it('answers undefined when no server listens, at cold start', async () => {
    // Prepare
    const connection = connect('redis://127.0.0.1:1')

    // Act
    const reply = await connection.run((client) => client.ping())

    // Assess
    expect(reply).toBeUndefined()
    expect(redisLines()).toHaveLength(1)
  })
})
