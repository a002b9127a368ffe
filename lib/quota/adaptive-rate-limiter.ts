/**
 * An in-memory `PubRateLimiter`: a GCRA slot scheduler (waiters are served in order of arrival) whose
 * rate adapts. On a throttle it drops to just under the success rate it observed in the last second
 * (the share of the quota it really gets), at most once per second; while calls go through it climbs
 * back by a few percent per second, up to the configured limit.
 */
import type { PubRateLimiter } from './pub-rate-limiter.js'

/** Settings of the adaptive limiter. */
export interface AdaptiveRateLimiterOptions {
  /** Calls per second never exceeded: `PUB_QPS_LIMIT`. @default 1600 */
  limitQps: number
  /** Calls per second never gone under. @default 1 */
  minQps: number
  /** Share of the observed success rate to drop to on a throttle. @default 0.95 */
  backoffShare: number
  /** Smallest cut on a throttle, as a factor of the current rate. @default 0.9 */
  maxDecreaseFactor: number
  /** Growth per second while no throttle is seen. @default 0.05 */
  growthPerSecond: number
  /** Time after a cut during which further throttles (from calls already in flight) are ignored. @default 1000 */
  cooldownMs: number
  /** How far ahead of its slot a call may start, allowing short bursts. @default 50 */
  burstMs: number
  /** Clock in epoch milliseconds. @default Date.now */
  now: () => number
}

const WINDOW_MS = 1_000
const BUCKET_MS = 100

/** The per-instance adaptive limiter. */
export class AdaptiveRateLimiter implements PubRateLimiter {
  readonly #options: AdaptiveRateLimiterOptions
  #rate: number
  #nextSlotAt = 0
  #lastCutAt = Number.NEGATIVE_INFINITY
  #lastGrowthAt: number
  // Successes per 100 ms bucket over the last second, to measure the rate IoT really accepts.
  readonly #successes = new Map<number, number>()

  constructor(options: Partial<AdaptiveRateLimiterOptions> = {}) {
    this.#options = {
      limitQps: 1_600,
      minQps: 1,
      backoffShare: 0.95,
      maxDecreaseFactor: 0.9,
      growthPerSecond: 0.05,
      cooldownMs: 1_000,
      burstMs: 50,
      now: Date.now,
      ...options,
    }
    this.#rate = this.#options.limitQps
    this.#lastGrowthAt = this.#options.now()
  }

  get rate(): number {
    return this.#rate
  }

  async acquire(deadline: number): Promise<boolean> {
    const now = this.#options.now()
    this.#grow(now)
    const slot = Math.max(this.#nextSlotAt, now)
    const startAt = Math.max(now, slot - this.#options.burstMs)
    if (startAt > deadline) return false
    this.#nextSlotAt = slot + 1_000 / this.#rate
    if (startAt > now) await new Promise((resolve) => setTimeout(resolve, startAt - now))
    return true
  }

  recordThrottle(): void {
    const now = this.#options.now()
    if (now - this.#lastCutAt < this.#options.cooldownMs) return
    this.#lastCutAt = now
    const observed = this.#observedSuccessRate(now)
    const ceiling = this.#rate * this.#options.maxDecreaseFactor
    this.#rate = Math.max(this.#options.minQps, Math.min(ceiling, observed * this.#options.backoffShare))
    this.#lastGrowthAt = now
  }

  recordSuccess(): void {
    const bucket = Math.floor(this.#options.now() / BUCKET_MS)
    if (!this.#successes.has(bucket)) this.#forgetBefore(bucket)
    this.#successes.set(bucket, (this.#successes.get(bucket) ?? 0) + 1)
  }

  // Multiplicative growth, paused during the cooldown that follows a cut.
  #grow(now: number): void {
    const since = now - Math.max(this.#lastGrowthAt, this.#lastCutAt + this.#options.cooldownMs)
    if (since <= 0) return
    this.#rate = Math.min(
      this.#options.limitQps,
      this.#rate * (1 + this.#options.growthPerSecond) ** (since / 1_000),
    )
    this.#lastGrowthAt = now
  }

  #observedSuccessRate(now: number): number {
    this.#forgetBefore(Math.floor(now / BUCKET_MS))
    let count = 0
    for (const successes of this.#successes.values()) count += successes
    return (count * 1_000) / WINDOW_MS
  }

  // Keeps only the buckets of the window that ends with `newest`.
  #forgetBefore(newest: number): void {
    const oldest = newest - WINDOW_MS / BUCKET_MS + 1
    for (const bucket of this.#successes.keys()) if (bucket < oldest) this.#successes.delete(bucket)
  }
}
