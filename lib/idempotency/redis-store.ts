/**
 * Idempotency records on Redis (ApsaraDB for Redis or Tair), seen by the whole fleet. Each record is one
 * hash under one key, and each step is one Lua script over that key alone, so it is atomic and runs on
 * Tair cluster instances. Expiry is Redis's own (`PEXPIRE`): no instance's clock is trusted.
 */
import type { RedisConnection, RedisScript } from '../redis/connection.js'
import type { Claim, IdempotencyRecord, IdempotencyStore, SettledRecord } from './store.js'

// Takes a free key for the claimer, or tells what holds it (without the holder's token) and for how long.
const CLAIM: RedisScript = {
  name: 'iotPubIdempotencyClaim',
  numberOfKeys: 1,
  lua: `
local held = redis.call('HMGET', KEYS[1], 'state', 'fingerprint', 'messageId', 'requestId')
if held[1] then
  return { held[1], held[2] or '', held[3] or '', held[4] or '', redis.call('PTTL', KEYS[1]) }
end
redis.call('HSET', KEYS[1], 'state', 'in-progress', 'fingerprint', ARGV[1], 'token', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {}`,
}

// Only the claim's holder may settle; a key nobody holds any more is written too (a late publish is
// still a publish), but never one another request holds or has settled.
const SETTLE: RedisScript = {
  name: 'iotPubIdempotencySettle',
  numberOfKeys: 1,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'fingerprint', ARGV[3], 'messageId', ARGV[4], 'requestId', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1`,
}

const RELEASE: RedisScript = {
  name: 'iotPubIdempotencyRelease',
  numberOfKeys: 1,
  lua: `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`,
}

/** Redis did not answer in time, refused, or is in an outage: the caller publishes without the guarantee. */
export class IdempotencyStoreUnavailable extends Error {
  override name = 'IdempotencyStoreUnavailable'
}

/**
 * The fleet's records on the instance's Redis connection.
 * @example new RedisIdempotencyStore(instanceRedisConnection(config, logger))
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly shared = true
  readonly #connection: Pick<RedisConnection, 'runScript'>

  constructor(connection: Pick<RedisConnection, 'runScript'>) {
    this.#connection = connection
  }

  async claim(key: string, claim: Claim): Promise<IdempotencyRecord | undefined> {
    const reply = await this.#run(CLAIM, key, [claim.fingerprint, claim.token, Math.ceil(claim.ttlMs)])
    if (!Array.isArray(reply)) throw new IdempotencyStoreUnavailable('unexpected reply to a claim')
    if (reply.length === 0) return undefined
    const [state, fingerprint, messageId, requestId, ttl] = reply.map(String)
    switch (state) {
      case 'in-progress':
        return { state, fingerprint: fingerprint ?? '', expiresInMs: Math.max(0, Number(ttl)) }
      case 'published':
        return {
          state,
          fingerprint: fingerprint ?? '',
          result: { messageId: messageId ?? '', requestId: requestId ?? '' },
        }
      case 'uncertain':
        return { state, fingerprint: fingerprint ?? '' }
      default:
        throw new IdempotencyStoreUnavailable('a record in an unknown state')
    }
  }

  async settle(key: string, token: string, record: SettledRecord, ttlMs: number): Promise<boolean> {
    const result = record.state === 'published' ? record.result : { messageId: '', requestId: '' }
    const reply = await this.#run(SETTLE, key, [
      token,
      record.state,
      record.fingerprint,
      result.messageId,
      result.requestId,
      Math.ceil(ttlMs),
    ])
    return reply === 1
  }

  async release(key: string, token: string): Promise<void> {
    await this.#run(RELEASE, key, [token])
  }

  // The connection answers undefined for any failure or outage (and logs the outage once).
  async #run(script: RedisScript, key: string, args: (string | number)[]): Promise<unknown> {
    const reply = await this.#connection.runScript(script, [key], args)
    if (reply === undefined) throw new IdempotencyStoreUnavailable('Redis did not answer')
    return reply
  }
}
