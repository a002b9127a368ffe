/**
 * An in-memory `PubRateLimiter`: a token bucket with a queue of waiters served in order of arrival,
 * released at the current rate (so a cut applies at once, not after slots booked at the old rate), whose
 * rate adapts. On a throttle it pauses briefly and, at most once per second, drops to just under what
 * the quota gave it (see `#cut`); while calls go through it climbs back by a few percent per second. A
 * fresh instance starts low and grows with each success until the first throttle (slow start).
 */
import type { PubRateLimiter } from './pub-rate-limiter.js'

/** Settings of the adaptive limiter. */
export interface AdaptiveRateLimiterOptions {
  /** Calls per second never exceeded: `PUB_QPS_LIMIT`. @default 1600 */
  limitQps: number
  /**
   * Rate of a fresh instance, which grows with each success until the first throttle (slow start: about
   * doubling every `doublingMs` while calls go at the full rate), so that a cold instance never bursts into
   * a quota others may be using. @default min(20, limitQps)
   */
  startQps: number
  /** Slow start's doubling period at full use. @default 250 */
  doublingMs: number
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
  /** Burst allowed after a quiet spell, as time's worth of calls at the current rate. @default 50 */
  burstMs: number
  /** Pause of new calls after a throttle (doubling while throttles follow pauses): the quota's window is spent, calls into it are wasted. @default 100 */
  pauseMs: number
  /** Clock in epoch milliseconds. @default Date.now */
  now: () => number
}

const WINDOW_MS = 1_000
const BUCKET_MS = 100
/** The last second's buckets and the one before, whose share within the second is counted too. */
const BUCKETS = WINDOW_MS / BUCKET_MS + 1
/** Longest pause after repeated throttles: a per-second quota's window is spent within a second. */
const MAX_PAUSE_MS = 1_000
/** Successes in the last second below which the observed rate is not trusted (outside slow start). */
const MIN_SAMPLE = 50
/** A throttle this long after the previous one starts a new run of them: the quota's window was spent anew. */
const RUN_GAP_MS = 100

interface Waiter {
  settled: boolean
  timer?: NodeJS.Timeout
  grant: (granted: boolean) => void
}

/** The per-instance adaptive limiter. */
export class AdaptiveRateLimiter implements PubRateLimiter {
  readonly #options: AdaptiveRateLimiterOptions
  #rate: number
  #tokens = 1
  #refilledAt: number
  readonly #waiters: Waiter[] = []
  #pump: NodeJS.Timeout | undefined
  #lastCutAt = Number.NEGATIVE_INFINITY
  #lastGrowthAt: number
  #slowStart = true
  #pausedUntil = Number.NEGATIVE_INFINITY
  #pauseMs = 0
  #retryAfterMs: number | undefined
  #lastThrottleAt = Number.NEGATIVE_INFINITY
  #successesSinceThrottle = 0
  // Successes per 100 ms bucket over the last second, to measure the rate IoT really accepts: a ring of
  // counters, each slot holding the bucket it counts for.
  readonly #successes = new Array<number>(BUCKETS).fill(0)
  readonly #successBuckets = new Array<number>(BUCKETS).fill(Number.NEGATIVE_INFINITY)

  constructor(options: Partial<AdaptiveRateLimiterOptions> = {}) {
    this.#options = {
      limitQps: 1_600,
      startQps: Math.min(20, options.limitQps ?? 1_600),
      doublingMs: 250,
      minQps: 1,
      backoffShare: 0.95,
      maxDecreaseFactor: 0.9,
      growthPerSecond: 0.05,
      cooldownMs: 1_000,
      burstMs: 50,
      pauseMs: 100,
      now: Date.now,
      ...options,
    }
    this.#rate = Math.min(this.#options.startQps, this.#options.limitQps)
    this.#lastGrowthAt = this.#options.now()
    this.#refilledAt = this.#lastGrowthAt
  }

  get rate(): number {
    return this.#rate
  }

  get retryAfterMs(): number | undefined {
    return this.#retryAfterMs
  }

  acquire(deadline: number): boolean | Promise<boolean> {
    const now = this.#options.now()
    this.#refill(now)
    if (this.#waiters.length === 0 && this.#tokens >= 1) {
      this.#tokens -= 1
      return true
    }
    // Refuse at once what the queue cannot serve in time, rather than let it wait to be refused.
    const expectedWaitMs = ((this.#waiters.length + 1 - this.#tokens) * 1_000) / this.#rate
    if (now + expectedWaitMs > deadline) {
      this.#retryAfterMs = expectedWaitMs
      return false
    }
    return new Promise<boolean>((grant) => {
      const waiter: Waiter = { settled: false, grant }
      // setTimeout treats Infinity as 1 ms: a waiter without a deadline gets no timer.
      if (Number.isFinite(deadline)) waiter.timer = setTimeout(() => this.#expire(waiter), deadline - now)
      this.#waiters.push(waiter)
      this.#schedulePump()
    })
  }

  recordThrottle(): void {
    const now = this.#options.now()
    this.#refill(now)
    if (now - this.#lastCutAt >= this.#options.cooldownMs) this.#cut(now)
    this.#lastThrottleAt = now
    this.#successesSinceThrottle = 0
    // Set, not added: throttles arriving together make one pause. A throttle of the first calls after a
    // pause says the quota's window is still spent: the next pause is twice as long, up to a second.
    if (now < this.#pausedUntil) return
    const again = now < this.#pausedUntil + this.#pauseMs
    this.#pauseMs = again ? Math.min(MAX_PAUSE_MS, this.#pauseMs * 2) : this.#options.pauseMs
    this.#pausedUntil = now + this.#pauseMs
    this.#tokens = Math.min(this.#tokens, (-this.#rate * this.#pauseMs) / 1_000)
  }

  recordSuccess(): void {
    // Slow start grows with use, not time: an idle instance stays low, a saturated one doubles its rate
    // every `doublingMs` (each success adds the same step, as each acknowledgement grows TCP's window).
    if (this.#slowStart)
      this.#rate = Math.min(
        this.#options.limitQps,
        this.#rate + (Math.LN2 * 1_000) / this.#options.doublingMs,
      )
    this.observeSuccess()
  }

  /** Counts a success another limiter (the fleet's schedule) paced: measured, but no reason to grow. */
  observeSuccess(): void {
    this.#successesSinceThrottle++
    const bucket = Math.floor(this.#options.now() / BUCKET_MS)
    const slot = bucket % BUCKETS
    if (this.#successBuckets[slot] !== bucket) {
      this.#successBuckets[slot] = bucket
      this.#successes[slot] = 0
    }
    this.#successes[slot] = (this.#successes[slot] ?? 0) + 1
  }

  /**
   * Takes over from the fleet's schedule (Redis lost): the pace the schedule gave this instance in the
   * last second is its share of the fleet's, so it goes on at that pace, growing and cutting as usual.
   * An instance that made no call in that second knows no share, and starts as a lone instance does.
   */
  takeOver(): void {
    const now = this.#options.now()
    this.#rebase(now)
    const share = this.#successesInWindow(now)
    // Pay back, at the old rate, a pause's debt since the last refill: a past outage's would block calls.
    this.#tokens = Math.min(1, this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1_000)
    // No share: afresh, not at the rate (grown over the idle time since) a past outage left.
    this.#rate =
      share === 0
        ? Math.min(this.#options.startQps, this.#options.limitQps)
        : Math.max(this.#options.minQps, Math.min(this.#options.limitQps, share))
    this.#slowStart = share === 0
    this.#lastGrowthAt = now
    this.#refilledAt = now
  }

  // Too few successes say little of the quota (a quiet instance): then the cut is to half, unless what it
  // got is more. In slow start every slot was used, so the successes are what the quota gave, however few.
  #cut(now: number): void {
    this.#lastCutAt = now
    let successes = this.#successesInWindow(now)
    // A throttle that starts a new run within a second of the last run ends a quota window that began
    // after that run: the successes between the runs are what one window gave. The last second alone may
    // reach back into the window before (up to twice the quota, after slow start's ramp).
    // Without successes between them, two throttles belong to one spent window (a pause between them).
    const sinceRun = now - this.#lastThrottleAt
    if (sinceRun >= RUN_GAP_MS && sinceRun <= WINDOW_MS && this.#successesSinceThrottle >= MIN_SAMPLE)
      // Never below half: the last second spans two windows at most, so one of them gave at least that.
      successes = Math.max(successes / 2, Math.min(successes, this.#successesSinceThrottle))
    const observed = Math.min(
      this.#rate * this.#options.maxDecreaseFactor,
      successes * this.#options.backoffShare,
    )
    // A few successes still went through: an instance serving one request at a time, whose whole share
    // is a few calls a second, is not halved below what it just got.
    const target =
      successes >= MIN_SAMPLE || (this.#slowStart && successes > 0)
        ? observed
        : Math.max(this.#rate / 2, observed)
    this.#rate = Math.max(this.#options.minQps, target)
    this.#lastGrowthAt = now
    this.#slowStart = false
  }

  #refill(now: number): void {
    this.#rebase(now)
    this.#grow(now)
    const capacity = Math.max(1, (this.#rate * this.#options.burstMs) / 1_000)
    this.#tokens = Math.min(capacity, this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1_000)
    this.#refilledAt = now
  }

  // A clock stepped back (NTP) moves the times kept with it: else the bucket owes the whole step in
  // tokens, and the cooldown and the pause last as long, ignoring throttles.
  #rebase(now: number): void {
    const step = now - this.#refilledAt
    if (step >= 0) return
    this.#refilledAt += step
    this.#lastCutAt += step
    this.#lastGrowthAt += step
    this.#pausedUntil += step
    this.#lastThrottleAt += step
  }

  #schedulePump(): void {
    if (this.#pump !== undefined || this.#waiters.length === 0) return
    const delay = Math.max(1, ((1 - this.#tokens) * 1_000) / this.#rate)
    this.#pump = setTimeout(() => {
      this.#pump = undefined
      this.#release()
    }, delay)
  }

  #release(): void {
    this.#refill(this.#options.now())
    while (this.#waiters.length > 0 && this.#tokens >= 1) {
      const waiter = this.#waiters.shift() as Waiter
      if (waiter.settled) continue
      this.#tokens -= 1
      this.#settle(waiter, true)
    }
    while (this.#waiters[0]?.settled) this.#waiters.shift()
    this.#schedulePump()
  }

  // A waiter still queued at its deadline is refused, so the invocation can answer in time.
  #expire(waiter: Waiter): void {
    if (waiter.settled) return
    this.#retryAfterMs = ((this.#waiters.length - this.#tokens) * 1_000) / this.#rate
    this.#settle(waiter, false)
  }

  #settle(waiter: Waiter, granted: boolean): void {
    waiter.settled = true
    clearTimeout(waiter.timer)
    waiter.grant(granted)
  }

  // Multiplicative growth, paused during the cooldown that follows a cut, and counting only the time the
  // instance used its rate: once the bucket is full again it learns nothing of the quota, and climbing
  // meanwhile it would meet its next burst at a rate IoT never allowed it.
  #grow(now: number): void {
    if (this.#slowStart || this.#rate >= this.#options.limitQps) {
      this.#lastGrowthAt = now
      return
    }
    const capacity = Math.max(1, (this.#rate * this.#options.burstMs) / 1_000)
    const fullAt = this.#refilledAt + ((capacity - this.#tokens) * 1_000) / this.#rate
    const since =
      Math.min(now, fullAt) - Math.max(this.#lastGrowthAt, this.#lastCutAt + this.#options.cooldownMs)
    if (since > 0) {
      this.#rate = Math.min(
        this.#options.limitQps,
        this.#rate * (1 + this.#options.growthPerSecond) ** (since / 1_000),
      )
    }
    // The cooldown's end, not an idle stretch, is where growth resumes.
    if (now > this.#lastCutAt + this.#options.cooldownMs) this.#lastGrowthAt = now
  }

  // Successes in exactly the last second, which is also the observed success rate per second: the oldest
  // bucket counts for the share of it within the second (evenly spread), else a throttle at the end of
  // IoT's window, at the quota's rate, would see a tenth less than IoT gave.
  #successesInWindow(now: number): number {
    const newest = Math.floor(now / BUCKET_MS)
    const oldest = newest - BUCKETS + 1
    const oldestShare = 1 - (now % BUCKET_MS) / BUCKET_MS
    let count = 0
    for (let slot = 0; slot < BUCKETS; slot++) {
      const bucket = this.#successBuckets[slot] ?? Number.NEGATIVE_INFINITY
      // A bucket ahead of the clock was counted before it stepped back: not the last second's.
      if (bucket > oldest && bucket <= newest) count += this.#successes[slot] ?? 0
      else if (bucket === oldest) count += (this.#successes[slot] ?? 0) * oldestShare
    }
    return count
  }
}
