/**
 * A `PubRateLimiter` for a fleet: every instance takes its slots from one schedule in Redis, so that
 * `PUB_QPS_LIMIT` is the budget of all instances together and a throttle seen by one slows them all.
 * While Redis is down, slow or refusing, the instance's own adaptive limiter decides instead, at once.
 */
import type { RedisConnection } from '../redis/connection.js'
import type { AdaptiveRateLimiter } from './adaptive-rate-limiter.js'
import {
  FLEET_QUOTA_MEMORY_KEY,
  FLEET_SCHEDULE_KEY,
  FLEET_SCHEDULE_SCRIPT,
  readScheduleReply,
  type ScheduleReply,
  soonestEndOfWait,
} from './fleet-schedule-script.js'
import type { PubRateLimiter, PubSlot } from './pub-rate-limiter.js'

/** Successes older than this say nothing of the fleet's last second, which is what a cut counts. */
const STALE_SUCCESS_MS = 1_000

/** How late a slot taken ahead may still be called on; older ones are gone. */
const AHEAD_LATE_MS = 10

/** Settings of the shared limiter. */
export interface SharedRateLimiterOptions {
  connection: RedisConnection
  /** `PUB_QPS_LIMIT`, the fleet's budget. */
  limitQps: number
  /** The instance's own limiter, used whenever Redis cannot answer. */
  fallback: AdaptiveRateLimiter
  /** Pause of the whole fleet's schedule after a throttle, in ms. @default 100 */
  pauseMs?: number
  /** Waits up to this long are taken as granted outside slow start; a longer one is re-checked when it ends, in case a throttle slowed the schedule meanwhile. @default 20 */
  recheckAfterMs?: number
  /** How recent an answer showing room must be for a call to go without waiting for its own; also how long slots taken ahead stay usable. @default 50 */
  roomFreshMs?: number
  /** Slots taken at once, while the fleet has room, for the calls to come: one command for them all. @default 16 */
  blockSize?: number
  /** The schedule's key. @default FLEET_SCHEDULE_KEY */
  key?: string
  /** The key of the rate the last cut set, in the same hash tag. @default FLEET_QUOTA_MEMORY_KEY */
  memoryKey?: string
  /** Clock in epoch milliseconds, only to turn deadlines into waits. @default Date.now */
  now?: () => number
}

/** The fleet-wide limiter, with the per-instance one as fallback. */
export class SharedRateLimiter implements PubRateLimiter {
  readonly #options: Required<SharedRateLimiterOptions>
  #rate: number
  #retryAfterMs: number | undefined
  // Successes not yet reported (a report lost to an outage rides along with the next operation).
  #unreported = 0
  // When the oldest of them came (performance.now()): a frozen instance may carry them long after.
  #unreportedSince = 0
  #lastReply: ScheduleReply | undefined
  #lastReplyAt = Number.NEGATIVE_INFINITY
  // Whether the fleet's schedule paces this instance now; false while its own limiter stands in.
  #fleetPaces = true
  #reportQueued = false
  // A report held back while slots taken ahead last; a throttle sends the successes at once instead.
  #heldReport: NodeJS.Timeout | undefined
  // Tickets taken ahead while the fleet had room: slot k (from `next` to before `end`) is ticket `first + k`,
  // due k × `everyMs` after `at` (performance.now()), usable until `until`.
  #ahead = { first: 0, next: 0, end: 0, at: 0, everyMs: 0, until: 0 }
  // Throttles recorded so far: a block whose answer comes after one was taken while the fleet still had room.
  #throttles = 0

  constructor(options: SharedRateLimiterOptions) {
    this.#options = {
      pauseMs: 100,
      recheckAfterMs: 20,
      roomFreshMs: 50,
      blockSize: 16,
      key: FLEET_SCHEDULE_KEY,
      memoryKey: FLEET_QUOTA_MEMORY_KEY,
      now: Date.now,
      ...options,
    }
    this.#rate = options.limitQps
  }

  /** The fleet's rate at the last answer from Redis, or the fallback's while Redis is unavailable. */
  get rate(): number {
    return this.#options.connection.available ? this.#rate : this.#options.fallback.rate
  }

  get retryAfterMs(): number | undefined {
    return this.#retryAfterMs
  }

  acquire(deadline: number, slot: PubSlot = {}): boolean | Promise<boolean> {
    if (this.#ownPaces()) return this.#fallback(deadline)
    if (this.#takeAhead(slot)) return true
    if (this.#fleetHasRoom()) {
      // The slot is still taken from the schedule, but the call does not wait for the answer, which may
      // bring slots for the next calls (its ticket is the first). An answer lets one call through this
      // way: a batch's concurrent calls wait for their own.
      this.#lastReply = undefined
      void this.#run('take', deadline, undefined, this.#options.blockSize).then((reply) => {
        if (reply?.granted) slot.ticket = reply.ticket
      })
      return true
    }
    return this.#take(deadline, slot)
  }

  async #take(deadline: number, slot: PubSlot): Promise<boolean> {
    let reply = await this.#run('take', deadline)
    if (reply === undefined) return this.#fallback(deadline)
    for (;;) {
      if (!reply.granted) {
        this.#retryAfterMs = reply.waitMs
        return false
      }
      slot.ticket = reply.ticket
      if (reply.waitMs <= 0) return true
      // Slow start ends at the first throttle, with a cut that moves every ticket later: while it runs,
      // every wait is re-checked, or each instance holding a ticket would make one throttled call then.
      const long = reply.growing || reply.waitMs > this.#options.recheckAfterMs
      // While slow start may still raise the rate, the ticket can come due long before the wait it was
      // given: wake at the soonest it could, not at the end of a wait the fleet's growth will shorten.
      const sleepMs = reply.growing
        ? Math.min(
            reply.waitMs,
            Math.max(
              this.#options.recheckAfterMs,
              soonestEndOfWait(reply.waitMs, reply.rate, this.#options.limitQps),
            ),
          )
        : reply.waitMs
      await new Promise((resolve) => setTimeout(resolve, sleepMs))
      if (!long) return true
      const checked = await this.#run('check', deadline, reply.ticket)
      // Redis went away while this call held a ticket: the wait is over, the call goes ahead.
      if (checked === undefined) return true
      reply = checked
    }
  }

  recordThrottle(slot?: PubSlot): void {
    // Slots taken ahead, and room an answer showed, were the fleet's room, which the quota's spent window
    // just took away; and the successes they held back are news a cut needs.
    this.#ahead = { ...this.#ahead, end: 0, until: 0 }
    this.#lastReply = undefined
    this.#throttles++
    clearTimeout(this.#heldReport)
    this.#reportQueued = false
    if (this.#ownPaces()) {
      this.#options.fallback.recordThrottle()
      return
    }
    // The throttled call's own ticket (unknown: a call that went before its answer, or its own limiter's).
    void this.#run('throttle', Number.POSITIVE_INFINITY, slot?.ticket).then((reply) => {
      // Lost with Redis: the own limiter takes over now, and must not go on at the pace IoT just throttled.
      if (reply !== undefined) return
      this.#standIn()
      this.#options.fallback.recordThrottle()
    })
  }

  recordSuccess(): void {
    // While the fleet paces it, the own limiter only measures this instance's share, for an outage: were
    // it to grow with these successes as in its slow start, every instance would burst when Redis went.
    if (this.#ownPaces()) this.#options.fallback.recordSuccess()
    else {
      // Only successes the fleet paced: an outage's, sent when Redis is back, would burst its slow start.
      if (this.#unreported === 0) this.#unreportedSince = performance.now()
      this.#unreported++
      this.#options.fallback.observeSuccess()
      this.#reportSoon()
    }
  }

  // Reported within this turn of the event loop, without anyone waiting, since a cut must see the fleet's
  // successes of the last second; a slot taken meanwhile carries them instead (one command, not two).
  // For roomFreshMs after slots were taken ahead, the take after them carries them.
  #reportSoon(): void {
    if (this.#reportQueued) return
    this.#reportQueued = true
    const send = () => {
      this.#reportQueued = false
      if (this.#takeUnreported() > 0) void this.#run('report', Number.POSITIVE_INFINITY)
    }
    const holdMs = this.#ahead.until - performance.now()
    if (holdMs > 0) this.#heldReport = setTimeout(send, holdMs).unref()
    else setImmediate(send)
  }

  // The successes not reported yet, unless they are older than the last second a cut counts: on FC an
  // instance frozen after its answer sends them when it next runs, and slow start would grow with them.
  #takeUnreported(): number {
    if (performance.now() - this.#unreportedSince > STALE_SUCCESS_MS) this.#unreported = 0
    return this.#unreported
  }

  // A slot taken ahead, if one is due and still fresh: no command at all.
  #takeAhead(slot: PubSlot): boolean {
    const ahead = this.#ahead
    if (ahead.next >= ahead.end) return false
    // Tickets come due a fraction of a millisecond apart: a millisecond clock would miss most of them.
    const now = performance.now()
    if (now > ahead.until) ahead.end = 0
    if (ahead.next >= ahead.end || now < ahead.at + ahead.next * ahead.everyMs) return false
    // Slots that came due while no call took them are gone, as the schedule's are: calls coming together
    // after a while must not burst on all of them at once, past the fleet's rate. A few milliseconds late
    // (a caller slower than a fast fleet's rate) a slot still serves, shifted by less than a call's jitter.
    const lastTooLate = Math.floor((now - AHEAD_LATE_MS - ahead.at) / ahead.everyMs)
    const index = Math.max(ahead.next, Math.min(ahead.end - 1, lastTooLate))
    slot.ticket = ahead.first + index
    ahead.next = index + 1
    return true
  }

  // Off the latency path while the fleet is far under its rate: this instance's last answer, a moment ago,
  // came at once with a whole slot left unused before it. At the turn into congestion each instance may
  // call once before its slot, by less than the wait it then learns.
  #fleetHasRoom(): boolean {
    const last = this.#lastReply
    return (
      last?.granted === true &&
      last.waitMs === 0 &&
      last.slack >= 1 &&
      this.#options.now() - this.#lastReplyAt <= this.#options.roomFreshMs
    )
  }

  // True while Redis is unavailable.
  #ownPaces(): boolean {
    if (this.#options.connection.available) return false
    this.#standIn()
    return true
  }

  // The instance's own limiter takes over, at the pace the fleet last gave it.
  #standIn(): void {
    if (!this.#fleetPaces) return
    this.#fleetPaces = false
    this.#options.fallback.takeOver()
  }

  #fallback(deadline: number): boolean | Promise<boolean> {
    this.#standIn()
    const granted = this.#options.fallback.acquire(deadline)
    const remember = (ok: boolean) => {
      if (!ok) this.#retryAfterMs = this.#options.fallback.retryAfterMs
      return ok
    }
    return granted === true ? true : Promise.resolve(granted).then(remember)
  }

  // `ticket`: the one a `check` asks about, or the throttled call's (unknown: undefined).
  async #run(
    operation: 'take' | 'check' | 'throttle' | 'report',
    deadline: number,
    ticket?: number,
    block = 1,
  ) {
    const since = this.#unreportedSince
    const successes = this.#takeUnreported()
    this.#unreported = 0
    const throttles = this.#throttles
    const maxWaitMs = Math.max(0, Math.min(deadline - this.#options.now(), 3_600_000))
    const { limitQps, pauseMs } = this.#options
    // An answer tells how the schedule stood when Redis ran the command, at most as long ago as it was sent:
    // on a busy event loop it is read long after, when a throttle may have cut the rate meanwhile.
    const [askedAt, askedAtMs] = [performance.now(), this.#options.now()]
    const args = [operation, limitQps, Math.floor(maxWaitMs), successes, ticket ?? 0, pauseMs]
    // The throttled call's ticket, or a take's block, goes last, where the previous script reads nothing.
    if (operation === 'throttle' && ticket !== undefined) args.push(ticket)
    if (operation === 'take' && block > 1) args.push(block)
    const { key, memoryKey } = this.#options
    const raw = await this.#options.connection.runScript(FLEET_SCHEDULE_SCRIPT, [key, memoryKey], args)
    if (raw === undefined) {
      if (successes > 0) [this.#unreported, this.#unreportedSince] = [this.#unreported + successes, since]
      return undefined
    }
    const reply: ScheduleReply = readScheduleReply(raw)
    // A late answer to a command sent before an outage began does not end it.
    if (this.#options.connection.available) this.#fleetPaces = true
    this.#rate = reply.rate
    if (operation === 'report') return reply
    // A throttle recorded while the block was on its way (its own call's, say) took that room away.
    if (reply.block > 1 && this.#throttles === throttles) {
      this.#ahead = {
        first: reply.ticket,
        next: 1,
        end: reply.block,
        at: askedAt,
        everyMs: 1_000 / reply.rate,
        until: askedAt + this.#options.roomFreshMs,
      }
    }
    this.#lastReply = operation === 'throttle' ? undefined : reply
    this.#lastReplyAt = askedAtMs
    return reply
  }
}
