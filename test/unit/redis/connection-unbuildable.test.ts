import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../../lib/log.js'
import { RedisConnection } from '../../../lib/redis/connection.js'
import { capturedLogs } from '../../helpers/logs.js'

// A Redis client that cannot be built (a deployment missing dist/gateway/ioredis.js fails the same way).
const built = vi.hoisted(() => ({ attempts: 0, works: false }))
vi.mock('ioredis', () => ({
  Redis: class {
    constructor() {
      built.attempts++
      if (!built.works) throw new Error('cannot build the client')
    }
    on() {}
    disconnect() {}
    async connect() {}
    async ping() {
      return 'PONG'
    }
  },
}))

const redisLines = () => capturedLogs().filter((line) => String(line.msg).startsWith('redis'))

describe('RedisConnection whose client cannot be built', () => {
  const connection = new RedisConnection({
    url: 'redis://127.0.0.1:6379',
    timeoutMs: 50,
    logger: createLogger(),
    probeIntervalMs: 20,
  })
  afterEach(() => connection.close())

  it('answers undefined, as in any outage, logs one line, and builds the client again later', async () => {
    // Act
    const first = await connection.run(async () => 'ran')
    const second = await connection.run(async () => 'ran')
    built.works = true
    await vi.waitFor(() => expect(connection.available).toBe(true), { timeout: 2_000 })

    // Assess
    expect(first).toBeUndefined()
    expect(second).toBeUndefined()
    expect(redisLines().map((line) => line.msg)).toEqual([
      'redis unavailable: per-instance fallback until it answers',
      'redis available again',
    ])
    expect(await connection.run(async () => 'ran')).toBe('ran')
  })
})
