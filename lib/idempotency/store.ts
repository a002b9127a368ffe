/**
 * Where idempotency records live: one record per key, claimed atomically before a message is published
 * and settled with what became of it. Implemented in this instance's memory and on Redis.
 */
import type { PublishResult } from '../iot/publisher.js'

/** A record some request already holds. */
export type IdempotencyRecord =
  /** Its first request is publishing now; the record disappears at that invocation's end. */
  | { state: 'in-progress'; fingerprint: string; expiresInMs: number }
  /** Published: the first answer, to be given again. */
  | { state: 'published'; fingerprint: string; result: PublishResult }
  /** IoT did not answer in time: it may or may not have been published, and is not sent again. */
  | { state: 'uncertain'; fingerprint: string }

/** What a finished publish leaves behind. */
export type SettledRecord = Exclude<IdempotencyRecord, { state: 'in-progress' }>

/** A request's hold on a key until it settles or releases it. */
export interface Claim {
  /** The hash of the normalized message the key stands for. */
  fingerprint: string
  /** Unique to this claim, so that only its holder can settle or release it. */
  token: string
  /** How long the claim lasts unless settled: until the invocation's end. */
  ttlMs: number
}

/** Records of idempotency keys. `key` is already hashed and bounded by the caller. */
export interface IdempotencyStore {
  /** Whether every instance of the fleet sees the same records (Redis), or only this one (memory). */
  readonly shared: boolean
  /**
   * Takes the key in one atomic step when nobody holds it.
   * @returns undefined when the claim was taken, else the record that holds the key
   * @throws when the store cannot be reached; nothing was claimed then
   */
  claim(key: string, claim: Claim): Promise<IdempotencyRecord | undefined>
  /**
   * Replaces this claim by what became of the message, kept `ttlMs`.
   * @returns false when the claim had expired and another request holds or settled the key
   */
  settle(key: string, token: string, record: SettledRecord, ttlMs: number): Promise<boolean>
  /** Gives the key up after a failure that sent nothing, so that the same key may be tried again. */
  release(key: string, token: string): Promise<void>
}
