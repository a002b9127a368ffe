/**
 * The client-side rate limit in front of `Pub`. The account's quota (1,600 calls per second) is
 * shared by every caller, so the limiter is an interface: this instance's memory
 * (`AdaptiveRateLimiter`), or a schedule in Redis that every instance shares (`SharedRateLimiter`).
 */

/** Paces Pub calls and learns from IoT's throttling. */
export interface PubRateLimiter {
  /**
   * Waits for a slot to call `Pub`: decided at once (a plain boolean) when it can be, so that a free slot
   * costs the caller no wait at all.
   * @param deadline - epoch milliseconds after which a slot is of no use
   * @returns false, reserving nothing, when no slot is free before the deadline
   */
  acquire(deadline: number): boolean | Promise<boolean>
  /** IoT throttled a call: the available quota is lower than the current rate. */
  recordThrottle(): void
  /** A call was accepted by IoT. */
  recordSuccess(): void
  /** After `acquire` answered false: how long until a slot could be free, for the caller's `Retry-After`. */
  readonly retryAfterMs?: number
  /** The current rate in calls per second, for logs and benchmarks. */
  readonly rate: number
}
