import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { IdempotencyStoreUnavailable, RedisIdempotencyStore } from '../../lib/idempotency/redis-store.js'
import { createLogger } from '../../lib/log.js'
import { RedisConnection } from '../../lib/redis/connection.js'
import { describeStoreContract } from '../helpers/idempotency-store-contract.js'
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js'

let redis: RedisServer
const opened: RedisConnection[] = []

function connect(): RedisConnection {
  // A generous timeout: two cores shared by parallel test files make loopback replies slow at times.
  const connection = new RedisConnection({ url: redis.url, timeoutMs: 1_000, logger: createLogger(() => {}) })
  opened.push(connection)
  return connection
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

beforeAll(async () => {
  redis = await startRedisServer()
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((connection) => connection.close()))
})
afterAll(() => redis.stop())

// Redis keeps time itself: the tests wait for real.
describeStoreContract(
  'RedisIdempotencyStore',
  () => ({ store: new RedisIdempotencyStore(connect()), advance: sleep }),
  150,
)

describe('RedisIdempotencyStore against a real redis-server', () => {
  it('lets exactly one of many instances racing on one key take it', async () => {
    // Prepare: each store has a connection of its own, as each FC instance would
    const stores = Array.from({ length: 8 }, () => new RedisIdempotencyStore(connect()))
    const key = `iot-pub:idempotency:race-${Date.now()}`

    // Act
    const held = await Promise.all(
      stores.map((store, index) => store.claim(key, { fingerprint: 'f', token: `t${index}`, ttlMs: 5_000 })),
    )

    // Assess
    expect(held.filter((record) => record === undefined)).toHaveLength(1)
    expect(held.filter((record) => record?.state === 'in-progress')).toHaveLength(7)
  })

  it('keeps every digit of a MessageId above 2^53', async () => {
    // Prepare
    const store = new RedisIdempotencyStore(connect())
    const key = `iot-pub:idempotency:digits-${Date.now()}`
    await store.claim(key, { fingerprint: 'f', token: 't', ttlMs: 5_000 })
    const result = { messageId: '1889455942124347329', requestId: 'r' }

    // Act
    await store.settle(key, 't', { state: 'published', fingerprint: 'f', result }, 5_000)

    // Assess
    expect(await store.claim(key, { fingerprint: 'f', token: 'u', ttlMs: 5_000 })).toEqual({
      state: 'published',
      fingerprint: 'f',
      result,
    })
  })

  it('reports Redis being gone as unavailable at once, without claiming anything', async () => {
    // Prepare
    const dead = await startRedisServer()
    const connection = new RedisConnection({ url: dead.url, timeoutMs: 200, logger: createLogger(() => {}) })
    opened.push(connection)
    const store = new RedisIdempotencyStore(connection)
    await dead.kill()

    // Act
    const claim = store.claim('k', { fingerprint: 'f', token: 't', ttlMs: 1_000 })

    // Assess
    await expect(claim).rejects.toThrow(IdempotencyStoreUnavailable)
    await expect(store.settle('k', 't', { state: 'uncertain', fingerprint: 'f' }, 1_000)).rejects.toThrow(
      IdempotencyStoreUnavailable,
    )
  })
})
