/**
 * Idempotency records in this instance's memory: what the gateway uses without `REDIS_URL`. Another
 * instance, or this one after a restart, knows nothing of them, so keys are a best effort only.
 */
import type { Claim, IdempotencyRecord, IdempotencyStore, SettledRecord } from './store.js'

/** Options of `MemoryIdempotencyStore`. */
export interface MemoryStoreOptions {
  /** Most records kept; the oldest are forgotten first. @default 10000 */
  maxRecords?: number
  /** The clock, in epoch milliseconds. @default Date.now */
  now?: () => number
}

interface Entry {
  record: SettledRecord | { state: 'in-progress'; fingerprint: string }
  /** The claim's token while in progress; settled records have none. */
  token?: string
  expiresAt: number
}

/**
 * A bounded map of records with expiry, with the same answers as the Redis store.
 * @example const store = new MemoryIdempotencyStore({ maxRecords: 1000 })
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly shared = false
  readonly #entries = new Map<string, Entry>()
  readonly #maxRecords: number
  readonly #now: () => number

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxRecords = options.maxRecords ?? 10_000
    this.#now = options.now ?? Date.now
  }

  async claim(key: string, claim: Claim): Promise<IdempotencyRecord | undefined> {
    const entry = this.#live(key)
    if (entry === undefined) {
      this.#put(key, {
        record: { state: 'in-progress', fingerprint: claim.fingerprint },
        token: claim.token,
        expiresAt: this.#now() + claim.ttlMs,
      })
      return undefined
    }
    const { record } = entry
    if (record.state !== 'in-progress') return record
    return { ...record, expiresInMs: entry.expiresAt - this.#now() }
  }

  async settle(key: string, token: string, record: SettledRecord, ttlMs: number): Promise<boolean> {
    const entry = this.#live(key)
    if (entry !== undefined && entry.token !== token) return false
    this.#put(key, { record, expiresAt: this.#now() + ttlMs })
    return true
  }

  async release(key: string, token: string): Promise<void> {
    if (this.#live(key)?.token === token) this.#entries.delete(key)
  }

  /** How many records are held, expired ones included until they are next looked at. */
  get size(): number {
    return this.#entries.size
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry
  }

  #put(key: string, entry: Entry): void {
    // Re-inserted at the end, so that the map's order is the order of last writes.
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxRecords) break
      this.#entries.delete(oldest)
    }
  }
}
