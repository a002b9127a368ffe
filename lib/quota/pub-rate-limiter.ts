/**
 * The client-side rate limit in front of `Pub`. The account's quota (1,600 calls per second) is
 * shared by every caller, so the limiter is an interface: this instance's memory
 * (`AdaptiveRateLimiter`), or a schedule in Redis that every instance shares (`SharedRateLimiter`).
 */

/** One call's slot as its limiter knows it: filled in by `acquire`, read by `recordThrottle`. */
export interface PubSlot {
  /** The fleet schedule's ticket, once known (the shared limiter's; the instance's own has none). */
  ticket?: number
}

/** Paces Pub calls and learns from IoT's throttling. */
export interface PubRateLimiter {
  /**
   * Waits for a slot to call `Pub`: decided at once (a plain boolean) when it can be, so that a free slot
   * costs the caller no wait at all.
   * @param deadline - epoch milliseconds after which a slot is of no use
   * @param slot - the call's record of its slot, to name it should the call be throttled
   * @returns false, reserving nothing, when no slot is free before the deadline
   */
  acquire(deadline: number, slot?: PubSlot): boolean | Promise<boolean>
  /** IoT throttled a call (the one `slot` was acquired for): the quota left is lower than the rate. */
  recordThrottle(slot?: PubSlot): void
  /** A call was accepted by IoT. */
  recordSuccess(): void
  /** After `acquire` answered false: how long until a slot could be free, for the caller's `Retry-After`. */
  readonly retryAfterMs?: number
  /** The current rate in calls per second, for logs and benchmarks. */
  readonly rate: number
}
