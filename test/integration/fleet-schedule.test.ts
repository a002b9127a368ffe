import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../lib/log.js'
import { AdaptiveRateLimiter } from '../../lib/quota/adaptive-rate-limiter.js'
import {
  FLEET_QUOTA_MEMORY_KEY,
  FLEET_SCHEDULE,
  FLEET_SCHEDULE_KEY,
  FLEET_SCHEDULE_SCRIPT,
  readScheduleReply,
  soonestEndOfWait,
} from '../../lib/quota/fleet-schedule-script.js'
import { SharedRateLimiter } from '../../lib/quota/shared-rate-limiter.js'
import { RedisConnection } from '../../lib/redis/connection.js'
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js'

let redis: RedisServer
const connections: RedisConnection[] = []

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(() => redis.stop())
beforeEach(async () => {
  await redis.restart()
})
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
})

function connect(): RedisConnection {
  const connection = new RedisConnection({ url: redis.url, timeoutMs: 500, logger: createLogger() })
  connections.push(connection)
  return connection
}

/** An operation's arguments; `called` is the throttled call's ticket, `block` the tickets a take asks for. */
type Operands = Partial<
  Record<'limit' | 'maxWaitMs' | 'successes' | 'ticket' | 'pauseMs' | 'called' | 'block', number>
>

/** One schedule operation, as an instance with PUB_QPS_LIMIT `limit` sends it. */
async function operate(
  connection: RedisConnection,
  operation: 'take' | 'check' | 'throttle',
  { limit = 1_000, maxWaitMs = 60_000, successes = 0, ticket = 0, pauseMs = 0, called, block }: Operands = {},
) {
  const args = [operation, limit, maxWaitMs, successes, ticket, pauseMs]
  // Sent as this version sends them; the previous one sent neither
  const seventh = called ?? block
  if (seventh !== undefined) args.push(seventh)
  const keys = [FLEET_SCHEDULE_KEY, FLEET_QUOTA_MEMORY_KEY]
  const raw = await connection.runScript(FLEET_SCHEDULE_SCRIPT, keys, args)
  return readScheduleReply(raw)
}

// A schedule grown to `limit` calls a second by just enough reported successes, which it returns.
async function atFullRate(connection: RedisConnection, limit: number): Promise<number> {
  const successes = Math.ceil((limit - 20) / (Math.LN2 * 10))
  await operate(connection, 'take', { limit, successes })
  return successes
}

// Writes the schedule's hash as a fleet at `rate`, past slow start and its last cut, would leave it, on
// Redis's clock, with `lastSecond` successes in the current 100 ms bucket; `fields` add or override.
async function writeSchedule(
  connection: RedisConnection,
  { rate, lastSecond = 0 }: { rate: number; lastSecond?: number },
  fields: (now: number) => Record<string, string | number> = () => ({}),
): Promise<void> {
  const [seconds, micros] = (await connection.run((client) => client.time())) as [number, number]
  const now = Number(seconds) * 1_000 + Number(micros) / 1_000
  const bucket = Math.floor(now / 100)
  const successes = lastSecond > 0 ? { [`b${bucket % 11}`]: bucket, [`s${bucket % 11}`]: lastSecond } : {}
  await connection.run((client) =>
    client.hset(FLEET_SCHEDULE_KEY, {
      rate,
      served: 0,
      at: now,
      next: 0,
      grownAt: now,
      cutAt: now - 5_000,
      slow: '0',
      lastThrottleAt: now - 5_000,
      ...successes,
      ...fields(now),
    }),
  )
}

// Remembers `rate` as the rate the last cut set, as a cut before the schedule was forgotten leaves it.
async function rememberCut(connection: RedisConnection, rate: number): Promise<void> {
  await connection.run((client) => client.set(FLEET_QUOTA_MEMORY_KEY, rate))
}

// The idle minute: the schedule's hash expires (its quota memory, a key of its own, stays).
async function idleMinute(connection: RedisConnection): Promise<void> {
  await connection.run((client) => client.del(FLEET_SCHEDULE_KEY))
}

describe('the fleet schedule (Lua on a real redis-server)', () => {
  it('starts a fresh fleet at 20 calls a second and spaces tickets by the shared rate', async () => {
    // Prepare
    const connection = connect()

    // Act
    const replies = []
    const started = performance.now()
    for (let i = 0; i < 4; i++) replies.push(await operate(connection, 'take'))
    const elapsed = performance.now() - started

    // Assess: tickets in order, the fourth due 150 ms after the first (the calls took some of it)
    expect(replies.map((reply) => reply.ticket)).toEqual([0, 1, 2, 3])
    expect(replies[0]?.waitMs).toBe(0)
    expect((replies[3]?.waitMs ?? 0) + elapsed).toBeGreaterThan(140)
    expect(replies[3]?.waitMs).toBeLessThanOrEqual(150)
    expect(replies[0]?.rate).toBe(20)
  })

  it('grows in slow start with the successes instances report, up to PUB_QPS_LIMIT', async () => {
    // Prepare
    const connection = connect()

    // Act
    const few = await operate(connection, 'take', { limit: 500, successes: 2 })
    const many = await operate(connection, 'take', { limit: 500, successes: 1_000 })

    // Assess
    expect(few.rate).toBeCloseTo(20 + 2 * Math.LN2 * 10, 1)
    expect(many.rate).toBe(500)
  })

  it('hands out several tickets at once only out of slots the fleet left unused, due one by one', async () => {
    // Prepare: 1,000 calls a second, 30 ms without a ticket handed out
    const connection = connect()
    await writeSchedule(connection, { rate: 1_000 })
    await sleep(30)

    // Act
    const started = performance.now()
    const block = await operate(connection, 'take', { block: 16 })
    const next = await operate(connection, 'take', { block: 16 })
    const elapsed = performance.now() - started

    // Assess: the next caller, with no room left, gets one ticket behind the 16, due 16 ms after them
    expect([block.ticket, block.block, block.waitMs]).toEqual([0, 16, 0])
    expect([next.ticket, next.block]).toEqual([16, 1])
    expect(next.waitMs).toBeGreaterThan(16 - elapsed - 1)
    expect(next.waitMs).toBeLessThanOrEqual(16)
  })

  it('hands out no more tickets at once than the fleet left unused', async () => {
    // Prepare: 100 calls a second, 30 ms without a ticket handed out
    const connection = connect()
    await writeSchedule(connection, { rate: 100 })
    await sleep(30)

    // Act
    const block = await operate(connection, 'take', { block: 16 })

    // Assess: three slots, or a few more had this machine stalled for tens of milliseconds
    expect(block.block).toBeGreaterThanOrEqual(3)
    expect(block.block).toBeLessThan(16)
  })

  it('refuses at once, reserving nothing, a slot past the longest acceptable wait, saying when to come back', async () => {
    // Prepare: 10 calls a second, five tickets handed out
    const connection = connect()
    await atFullRate(connection, 10)
    for (let i = 0; i < 5; i++) await operate(connection, 'take', { limit: 10 })

    // Act
    const refused = await operate(connection, 'take', { limit: 10, maxWaitMs: 200 })
    const next = await operate(connection, 'take', { limit: 10 })

    // Assess
    expect(refused.granted).toBe(false)
    expect(refused.waitMs).toBeGreaterThan(400)
    expect(next.ticket).toBe(refused.ticket)
  })

  it('admits in slow start a ticket the doubling rate serves in time, though the current rate would not', async () => {
    // Prepare: a fresh fleet at 20/s, 29 tickets handed out (the next is 1.45 s away at 20/s)
    const connection = connect()
    for (let i = 0; i < 29; i++) await operate(connection, 'take')

    // Act
    const growing = await operate(connection, 'take', { maxWaitMs: 800 })
    await operate(connection, 'take', { successes: 1_000 })
    const grown = await operate(connection, 'take', { limit: 1_000, maxWaitMs: 0 })

    // Assess: admitted on its soonest end (about 350 ms at full use); at the limit, the wait is the wait
    expect(growing).toMatchObject({ granted: true, ticket: 29, growing: true })
    expect(growing.waitMs).toBeGreaterThan(800)
    expect(soonestEndOfWait(growing.waitMs, growing.rate, 1_000)).toBeLessThan(800)
    expect(grown).toMatchObject({ granted: false, growing: false, rate: 1_000 })
  })

  it('refuses in slow start a ticket that even PUB_QPS_LIMIT could not serve before the deadline', async () => {
    // Prepare: a fresh fleet at 20/s with a limit of 30/s, 100 tickets handed out (over 3 s at 30/s)
    const connection = connect()
    for (let i = 0; i < 100; i++) await operate(connection, 'take', { limit: 30 })

    // Act
    const refused = await operate(connection, 'take', { limit: 30, maxWaitMs: 1_000 })

    // Assess: doubling without end would serve it in about 520 ms; the rate stops at 30/s
    expect(refused).toMatchObject({ granted: false, growing: true })
    expect(soonestEndOfWait(refused.waitMs, refused.rate, 30)).toBeGreaterThan(3_000)
  })

  it('refuses in slow start a ticket that growth up to the rate the last cut set could not serve in time', async () => {
    // Prepare: a schedule forgotten after a cut to 30/s (only the memory left), then 100 tickets of the fresh slow start
    const connection = connect()
    await rememberCut(connection, 30)
    for (let i = 0; i < 100; i++) await operate(connection, 'take')

    // Act
    const refused = await operate(connection, 'take', { maxWaitMs: 1_000 })

    // Assess: growth to PUB_QPS_LIMIT (1,000/s) would serve it in time; slow start now stops at 30/s
    expect(refused).toMatchObject({ granted: false, growing: true })
    expect(soonestEndOfWait(refused.waitMs, refused.rate, 1_000)).toBeLessThan(1_000)
  })

  it('doubles the pause when the first calls after a pause are throttled again', async () => {
    // Prepare
    const connection = connect()
    await atFullRate(connection, 1_000)
    await operate(connection, 'throttle', { pauseMs: 100 })
    await operate(connection, 'throttle', { pauseMs: 100 })
    await sleep(120)

    // Act
    await operate(connection, 'throttle', { pauseMs: 100 })
    const next = await operate(connection, 'take')

    // Assess
    expect(next.waitMs).toBeGreaterThan(150)
  })

  it('lets a throttle seen by one instance cut the rate every instance gets', async () => {
    // Prepare: two instances; the fleet reported 300 successes in the last second
    const [first, second] = [connect(), connect()]
    const grown = await atFullRate(first, 1_000)
    await operate(second, 'take', { successes: 300 - grown })

    // Act
    await operate(first, 'throttle')
    const seen = await operate(second, 'take')

    // Assess: just under what the fleet really got through
    expect(seen.rate).toBe(291)
  })

  it('cuts to what one quota window gave: the successes between two runs of throttles, not the whole last second', async () => {
    // Prepare: a cut; 100 successes; a run of throttles (in the cooldown: no cut); 120 successes
    const connection = connect()
    await atFullRate(connection, 1_000)
    await operate(connection, 'throttle')
    await sleep(200)
    await operate(connection, 'take', { successes: 100 })
    await sleep(100)
    await operate(connection, 'throttle')
    await operate(connection, 'take', { successes: 120 })
    await sleep(800)

    // Act: the first throttle of the next run, after the cooldown
    await operate(connection, 'throttle')
    const after = await operate(connection, 'take')

    // Assess: 0.97 × 120, though the last second held 220 successes
    expect(after.rate).toBeCloseTo(120 * 0.97, 0)
  })

  it('takes throttles with no success between them as one spent window, not as a window that gave nothing', async () => {
    // Prepare: a cut; 300 successes; a throttle in the cooldown; no success since
    const connection = connect()
    await atFullRate(connection, 1_000)
    const cut = await operate(connection, 'throttle')
    await sleep(200)
    await operate(connection, 'take', { successes: 300 })
    await sleep(100)
    await operate(connection, 'throttle')
    await sleep(750)

    // Act
    await operate(connection, 'throttle')
    const after = await operate(connection, 'take')

    // Assess: the last second's 300 successes say the rate is within the quota: no cut, not half
    expect(after.rate).toBeGreaterThanOrEqual(cut.rate)
  })

  it('never cuts below half the last second’s successes: they span two quota windows at most', async () => {
    // Prepare: a cut to 500/s; 600 successes; a throttle that ended no window (a token bucket run dry, a
    // call another limit refused) in the cooldown; 100 successes
    const connection = connect()
    await operate(connection, 'take', { successes: 1_000 })
    await sleep(1_100)
    await operate(connection, 'throttle')
    await sleep(200)
    await operate(connection, 'take', { successes: 600 })
    await sleep(600)
    await operate(connection, 'throttle')
    await operate(connection, 'take', { successes: 100 })
    await sleep(250)

    // Act: the first throttle of the next run, after the cooldown
    await operate(connection, 'throttle')
    const after = await operate(connection, 'take')

    // Assess: 0.97 × 700 / 2, not 0.97 × 100 (a tenth of what IoT gave in the last second)
    expect(after.rate).toBeCloseTo((700 / 2) * 0.97, 0)
  })

  it('does not take a schedule written by the previous version for one without successes since its last throttle', async () => {
    // Prepare: the previous script's hash (no sinceThrottle): 1000/s, a throttle 300 ms ago, 300 successes
    const connection = connect()
    await writeSchedule(connection, { rate: 1_000, lastSecond: 300 }, (now) => ({
      lastThrottleAt: now - 300,
    }))

    // Act
    await operate(connection, 'throttle')
    const after = await operate(connection, 'take')

    // Assess: just under the 300 successes of the last second, not half the rate for lack of them
    expect(after.rate).toBeCloseTo(300 * 0.97, 0)
  })

  it('counts for the cut that ends slow start the successes reported just after it, still on their way then', async () => {
    // Prepare
    const connection = connect()
    const grown = await atFullRate(connection, 1_000)
    const cut = await operate(connection, 'throttle')

    // Act: 100 more successes of calls made before the throttle
    const after = await operate(connection, 'take', { successes: 100 })

    // Assess: the rate remembered for the next slow start too
    const remembered = await connection.run((client) => client.get(FLEET_QUOTA_MEMORY_KEY))
    expect(cut.rate).toBeCloseTo(grown * 0.97, 2)
    expect(after.rate).toBeCloseTo((grown + 100) * 0.97, 2)
    expect(Number(remembered)).toBeCloseTo(after.rate, 2)
  })

  it('forgets a schedule idle for a minute, but ends the next slow start where the last cut found the quota', async () => {
    // Prepare: a fleet at 300 calls a second, set by its last cut, then idle a minute
    const connection = connect()
    await writeSchedule(connection, { rate: 300 })
    await rememberCut(connection, 300)
    await idleMinute(connection)

    // Act
    const fresh = await operate(connection, 'take')
    const grown = await operate(connection, 'take', { successes: 100 })

    // Assess: slow start again, up to the remembered 300 (no further in that step)
    expect(fresh).toMatchObject({ rate: 20, growing: true })
    expect(grown).toMatchObject({ rate: 300, growing: false })
  })

  it('climbs past the rate remembered from before it was forgotten slowly near it, faster the further beyond', async () => {
    // Prepare: a fresh slow start, the schedule forgotten, that reached the remembered 300
    const connection = connect()
    await rememberCut(connection, 300)
    await operate(connection, 'take', { successes: 100 })

    // Act: 300 more successes, a second's worth at 300/s, then 315 more
    const nearIt = await operate(connection, 'take', { successes: 300 })
    const after = await operate(connection, 'take', { successes: 315 })

    // Assess: 5% a second at full use at the memory, 5% + 0.5 × 5% at 5% beyond it; a throttle ends it
    expect(nearIt.rate).toBeCloseTo(300 + 300 * 0.05, 0)
    expect(after.rate).toBeCloseTo(315 + 315 * (0.05 + 0.5 * 0.05), 0)
    expect(after.growing).toBe(false)
    const cut = await operate(connection, 'throttle')
    expect(await connection.run((client) => client.hget(FLEET_SCHEDULE_KEY, 'slow'))).toBe('0')
    expect((await operate(connection, 'take', { successes: 300 })).rate).toBe(cut.rate)
  })

  it('forgets the remembered rate once slow start past it reaches PUB_QPS_LIMIT with no throttle', async () => {
    // Prepare: a fresh slow start at the remembered 300/s; the account's other callers have since gone quiet
    const connection = connect()
    await rememberCut(connection, 300)
    await operate(connection, 'take', { successes: 100 })

    // Act: successes, a few hundred at a time, until the rate stops growing; then a quiet minute and the next burst
    let reached = await operate(connection, 'take', { successes: 300 })
    for (let n = 0; n < 30 && reached.rate < 1_000; n++) {
      reached = await operate(connection, 'take', { successes: 300 })
    }
    await idleMinute(connection)
    const next = await operate(connection, 'take', { successes: 100 })

    // Assess: the quota gave PUB_QPS_LIMIT; the next burst grows as a fresh one, not stopped at 300/s
    expect(reached.rate).toBe(1_000)
    expect(await connection.run((client) => client.get(FLEET_QUOTA_MEMORY_KEY))).toBeNull()
    expect(next.rate).toBeCloseTo(20 + 100 * Math.LN2 * 10, 0)
    expect(next.growing).toBe(true)
  })

  it('remembers the rate the last cut set far longer than the idle minute that forgets the rest', async () => {
    // Prepare
    const connection = connect()
    await atFullRate(connection, 1_000)

    // Act
    const cut = await operate(connection, 'throttle')
    const remembered = await connection.run((client) => client.get(FLEET_QUOTA_MEMORY_KEY))
    const ttlMs = await connection.run((client) => client.pttl(FLEET_QUOTA_MEMORY_KEY))

    // Assess
    expect(Number(remembered)).toBeCloseTo(cut.rate, 2)
    expect(ttlMs).toBeGreaterThan(3_600_000)
  })

  it('remembers nothing from a cut with too few successes to tell the quota: a nearly idle fleet starts afresh', async () => {
    // Prepare: a fresh schedule whose fleet made 3 calls in its last second, the third throttled (the
    // account's other callers spent the window), then a quiet minute
    const connection = connect()
    await operate(connection, 'take', { successes: 3 })
    await operate(connection, 'throttle')
    await idleMinute(connection)

    // Act
    const next = await operate(connection, 'take')

    // Assess: the next burst's slow start from 20/s to PUB_QPS_LIMIT, not from 3/s, ten times slower
    const remembered = await connection.run((client) => client.get(FLEET_QUOTA_MEMORY_KEY))
    expect(next).toMatchObject({ rate: 20, growing: true })
    expect(remembered).toBeNull()
  })

  it('leaves the schedule to expire after the idle minute, which is all the previous version forgets it by', async () => {
    // Prepare: a fleet cut once, so that there is a rate to remember
    const connection = connect()
    await atFullRate(connection, 1_000)

    // Act
    await operate(connection, 'throttle')
    const ttlMs = await connection.run((client) => client.pttl(FLEET_SCHEDULE_KEY))

    // Assess: instances of the last deployment, sharing the hash, would otherwise resume a schedule idle
    // for hours, its rate grown 5% for every second of it (to PUB_QPS_LIMIT), rather than slow start
    expect(ttlMs).toBeGreaterThan(0)
    expect(ttlMs).toBeLessThanOrEqual(FLEET_SCHEDULE.idleExpiryMs)
  })

  it('counts no success reported longer after that cut: those calls came after it', async () => {
    // Prepare
    const connection = connect()
    await atFullRate(connection, 1_000)
    const cut = await operate(connection, 'throttle')
    await sleep(250)

    // Act
    const after = await operate(connection, 'take', { successes: 100 })

    // Assess: still in the cut's cooldown, so no growth either
    expect(after.rate).toBe(cut.rate)
  })

  it('serves no ticket inside the pause after that cut when late successes raise the rate', async () => {
    // Prepare: the cut that ends slow start, and a throttle in a row that pauses the schedule 100 ms
    const connection = connect()
    await atFullRate(connection, 1_000)
    await operate(connection, 'throttle', { pauseMs: 100 })
    await operate(connection, 'throttle', { pauseMs: 100 })
    const paused = performance.now()

    // Act: 100 more successes of calls made before the cut
    const next = await operate(connection, 'take', { successes: 100 })
    const elapsed = performance.now() - paused

    // Assess: the rate rose, the pause still ends 100 ms after it began
    expect(next.rate).toBeGreaterThan(200)
    expect(next.waitMs + elapsed).toBeGreaterThan(95)
  })

  it('keeps, with too few successes to tell, just under what a small fleet got when that is more than half', async () => {
    // Prepare: a fleet past slow start at 60 calls a second, whose last second brought 45
    const connection = connect()
    await writeSchedule(connection, { rate: 60, lastSecond: 45 })

    // Act
    await operate(connection, 'throttle')
    const after = await operate(connection, 'take')

    // Assess: 97% of the 45, not half of 60
    expect(after.rate).toBeCloseTo(45 * 0.97, 1)
  })

  it('still halves a fleet whose few successes are less than half its rate', async () => {
    // Prepare: 60 calls a second, and the last second brought 10
    const connection = connect()
    await writeSchedule(connection, { rate: 60, lastSecond: 10 })

    // Act
    await operate(connection, 'throttle')
    const after = await operate(connection, 'take')

    // Assess
    expect(after.rate).toBeCloseTo(30, 1)
  })

  it('moves tickets already handed out later when the rate is cut, so waiters re-check', async () => {
    // Prepare: ten tickets at 100/s; the last is due in about 90 ms
    const connection = connect()
    const grown = await atFullRate(connection, 100)
    let last = await operate(connection, 'take', { limit: 100 })
    for (let i = 0; i < 9; i++) last = await operate(connection, 'take', { limit: 100 })

    // Act: in slow start, a throttle cuts to just under the successes the fleet reported
    await operate(connection, 'throttle', { limit: 100 })
    const checked = await operate(connection, 'check', { limit: 100, ticket: last.ticket })

    // Assess
    expect(checked.rate).toBeCloseTo(grown * 0.97, 2)
    expect(checked.waitMs).toBeGreaterThan(last.waitMs * 5)
  })

  it('ignores throttles in the cooldown after a cut, then climbs back for every instance', async () => {
    // Prepare
    const connection = connect()
    const grown = await atFullRate(connection, 100)
    await operate(connection, 'throttle', { limit: 100 })

    // Act: with a backlog of tickets that outlasts the cooldown, the fleet using its rate
    const during = await operate(connection, 'throttle', { limit: 100 })
    for (let n = 0; n < 30; n++) await operate(connection, 'take', { limit: 100 })
    await sleep(1_300)
    const after = await operate(connect(), 'take', { limit: 100 })

    // Assess: one cut, then 5% a second for every instance
    expect(during.rate).toBeCloseTo(grown * 0.97, 2)
    expect(after.rate).toBeGreaterThan(during.rate)
    expect(after.rate).toBeLessThan(during.rate * 1.05)
  })

  it('climbs back only while the fleet uses its rate: a quiet second adds nothing, a busy one 5%', async () => {
    // Prepare: past the cooldown of a cut to 100/s, last grown 1 s ago; at a second's worth of unused slots
    const connection = connect()
    await writeSchedule(connection, { rate: 100 }, (now) => ({ grownAt: now - 1_000, at: now - 1_000 }))

    // Act: then 200 ms with a backlog of 30 tickets
    const quiet = await operate(connection, 'take')
    for (let n = 0; n < 30; n++) await operate(connection, 'take')
    await sleep(200)
    const busy = await operate(connection, 'take')

    // Assess: no growth over the quiet second; 5% a second over the busy 200 ms
    expect(quiet.rate).toBe(100)
    expect(busy.rate).toBeGreaterThan(100)
    expect(busy.rate).toBeLessThan(100 * 1.05 ** 0.5)
  })

  it('climbs back slowly near the rate IoT last throttled, at 5% a second below and beyond it', async () => {
    // Prepare: the last cut came from 100 calls a second, five seconds ago; the rate last grew a second ago
    const schedule = (rate: number) => (now: number) => ({ rate, cutFrom: 100, grownAt: now - 1_000 })
    const connection = connect()
    await writeSchedule(connection, { rate: 99 }, schedule(99))
    const nearIt = await operate(connection, 'take')
    await writeSchedule(connection, { rate: 90 }, schedule(90))
    const below = await operate(connection, 'take')
    await writeSchedule(connection, { rate: 103 }, schedule(103))
    const beyond = await operate(connection, 'take')

    // Assess: 0.5% a second within 98–101% of it, else 5%
    expect(nearIt.rate).toBeCloseTo(99 * 1.005, 0)
    expect(below.rate).toBeCloseTo(90 * 1.05, 0)
    expect(beyond.rate).toBeCloseTo(103 * 1.05, 0)
  })

  it('pauses nothing for a lone throttle, a call that slipped past a window’s edge', async () => {
    // Prepare
    const connection = connect()
    await atFullRate(connection, 1_000)

    // Act
    await operate(connection, 'throttle', { pauseMs: 200 })
    const next = await operate(connection, 'take')

    // Assess
    expect(next.waitMs).toBeLessThan(50)
  })

  // A fleet at 1,000 calls a second whose tickets 0–4 were due when throttles in a row paused it for 100 ms
  // (ticket 5 was handed out after), now just past that pause.
  async function pastAPause(connection: RedisConnection) {
    await writeSchedule(connection, { rate: 1_000 })
    for (let n = 0; n < 5; n++) await operate(connection, 'take')
    await sleep(10)
    await operate(connection, 'throttle', { pauseMs: 100, called: 0 })
    await operate(connection, 'throttle', { pauseMs: 100, called: 1 })
    const after = await operate(connection, 'take')
    await sleep(after.waitMs + 10)
    return after.ticket
  }

  it('pauses no more for a call made before the pause whose throttled answer came after it', async () => {
    // Prepare
    const connection = connect()
    await pastAPause(connection)

    // Act: ticket 3 was due before the pause began
    await operate(connection, 'throttle', { pauseMs: 100, called: 3 })
    const next = await operate(connection, 'take')

    // Assess: no second pause, let alone a doubled one
    expect(next.waitMs).toBeLessThan(20)
  })

  it('pauses no more for late answers to calls made before the pause, however long after it they trail', async () => {
    // Prepare: one late answer 50 ms after the pause, within the 100 ms that follow it
    const connection = connect()
    await pastAPause(connection)
    await sleep(50)
    await operate(connection, 'throttle', { pauseMs: 100, called: 2 })
    await sleep(50)

    // Act: another one, past those 100 ms, but less than 100 ms after the one before
    await operate(connection, 'throttle', { pauseMs: 100, called: 3 })
    const next = await operate(connection, 'take')

    // Assess: no new pause for two throttles "in a row" of calls the first pause already answered for
    expect(next.waitMs).toBeLessThan(20)
  })

  it('doubles the pause when a call the pause held back is throttled: the window is still spent', async () => {
    // Prepare
    const connection = connect()
    const heldBack = await pastAPause(connection)

    // Act
    await operate(connection, 'throttle', { pauseMs: 100, called: heldBack })
    const next = await operate(connection, 'take')

    // Assess
    expect(heldBack).toBe(5)
    expect(next.waitMs).toBeGreaterThan(150)
  })

  it('never pauses longer than a quarter of a second, however many pauses in a row were throttled', async () => {
    // Prepare: pauses of 100 and 200 ms, each followed by a throttle of the calls after it
    const connection = connect()
    await writeSchedule(connection, { rate: 1_000 })
    await operate(connection, 'throttle', { pauseMs: 100 })
    await operate(connection, 'throttle', { pauseMs: 100 })
    await sleep(105)
    await operate(connection, 'throttle', { pauseMs: 100 })
    await sleep(205)

    // Act: the next pause would be 400 ms
    await operate(connection, 'throttle', { pauseMs: 100 })
    const next = await operate(connection, 'take')

    // Assess: a longer pause would idle past the end of a per-second window spent a moment ago
    expect(next.waitMs).toBeGreaterThan(200)
    expect(next.waitMs).toBeLessThanOrEqual(250 + 10)
  })

  it('pauses the whole schedule for throttles in a row, once for throttles that arrive together', async () => {
    // Prepare
    const connection = connect()
    await atFullRate(connection, 1_000)
    await operate(connection, 'throttle', { pauseMs: 200 })

    // Act
    await operate(connection, 'throttle', { pauseMs: 200 })
    await operate(connection, 'throttle', { pauseMs: 200 })
    const next = await operate(connection, 'take')

    // Assess
    expect(next.waitMs).toBeGreaterThan(150)
    expect(next.waitMs).toBeLessThanOrEqual(210)
  })

  // A fleet past slow start, cut once and out of its cooldown, whose last second brought `successes`.
  async function pacedAfterACut(connection: RedisConnection, successes: number) {
    await atFullRate(connection, 1_000)
    await operate(connection, 'throttle', { pauseMs: 100 })
    await sleep(1_100)
    return operate(connection, 'take', { successes })
  }

  it('pauses throttles in a row only for what its pace says is left of the spent window', async () => {
    // Prepare: about 138 calls a second, of which the last second brought 134: the quota ran out 97% in
    const connection = connect()
    const paced = await pacedAfterACut(connection, 134)

    // Act
    await operate(connection, 'throttle', { pauseMs: 100 })
    await operate(connection, 'throttle', { pauseMs: 100 })
    const next = await operate(connection, 'take')

    // Assess: about 1000 × (1 − 134 / rate) ms, not the 100 ms of a window whose end is unknown
    const left = 1_000 * (1 - 134 / paced.rate)
    expect(left).toBeGreaterThan(20)
    expect(next.waitMs).toBeGreaterThan(left - 10)
    expect(next.waitMs).toBeLessThan(left + 15)
  })

  it('pauses throttles in a row the shortest pause when the last second gave all the fleet sent', async () => {
    // Prepare: the last second straddles the window before, as at a window's edge, and brought 140 calls
    const connection = connect()
    await pacedAfterACut(connection, 140)

    // Act
    await operate(connection, 'throttle', { pauseMs: 100 })
    await operate(connection, 'throttle', { pauseMs: 100 })
    const next = await operate(connection, 'take')

    // Assess: 20 ms, and this ticket's place behind the one handed out last
    expect(next.waitMs).toBeGreaterThan(15)
    expect(next.waitMs).toBeLessThanOrEqual(20 + 1_000 / next.rate + 10)
  })

  it('pauses throttles in a row only for what is left of the window once slow start reached PUB_QPS_LIMIT', async () => {
    // Prepare: still in slow start but at the limit, a steady 1,000 calls a second, the last one brought 970
    const connection = connect()
    await writeSchedule(connection, { rate: 1_000, lastSecond: 970 }, () => ({ slow: '1' }))

    // Act
    await operate(connection, 'throttle', { pauseMs: 100 })
    await operate(connection, 'throttle', { pauseMs: 100 })
    const next = await operate(connection, 'take')

    // Assess: about 1000 × (1 − 970 / 1000) = 30 ms, not the 100 ms of a rate still growing
    expect(next.waitMs).toBeGreaterThan(20)
    expect(next.waitMs).toBeLessThan(50)
  })

  it('never pauses longer for that estimate: a fleet below its pace may meet a quota others spent', async () => {
    // Prepare: the last second brought 50 calls of the 138 the fleet could have made
    const connection = connect()
    await pacedAfterACut(connection, 50)

    // Act
    const started = performance.now()
    await operate(connection, 'throttle', { pauseMs: 100 })
    await operate(connection, 'throttle', { pauseMs: 100 })
    const next = await operate(connection, 'take')
    const elapsed = performance.now() - started

    // Assess: the 100 ms pause, and this ticket's place behind the one handed out last
    expect(next.waitMs).toBeGreaterThan(100 - elapsed - 1)
    expect(next.waitMs).toBeLessThanOrEqual(100 + 1_000 / next.rate + 10)
  })

  it('pauses at least as long as before when the calls after a pause that estimate gave are throttled', async () => {
    // Prepare: a pause of about 30 ms, estimated, that ended
    const connection = connect()
    await pacedAfterACut(connection, 134)
    await operate(connection, 'throttle', { pauseMs: 100 })
    await operate(connection, 'throttle', { pauseMs: 100 })
    await sleep(45)

    // Act
    const started = performance.now()
    await operate(connection, 'throttle', { pauseMs: 100 })
    const next = await operate(connection, 'take')
    const elapsed = performance.now() - started

    // Assess: the window's end is unknown again
    expect(next.waitMs).toBeGreaterThan(100 - elapsed - 1)
  })

  it('takes no estimate left by an earlier cut for the cut the previous version just made', async () => {
    // Prepare: the previous script (still running on instances of the last deployment) cut now and
    // throttled, leaving the window's end this version estimated at its own cut five seconds ago
    const connection = connect()
    await writeSchedule(connection, { rate: 100 }, (now) => ({
      cutAt: now,
      lastThrottleAt: now,
      sinceThrottle: 0,
      windowEndsAt: now - 4_990,
    }))

    // Act: a throttle in a row
    const started = performance.now()
    await operate(connection, 'throttle', { pauseMs: 100 })
    const next = await operate(connection, 'take')
    const elapsed = performance.now() - started

    // Assess: the 100 ms pause of a window whose end is unknown, not the shortest one
    expect(next.waitMs).toBeGreaterThan(100 - elapsed - 1)
  })

  it('takes its time from Redis: limiters whose clocks disagree by an hour share one schedule', async () => {
    // Prepare: two instances' limiters, one clock an hour ahead (the clock only turns deadlines into waits)
    const [early, late] = [connect(), connect()]
    await atFullRate(early, 20)
    const fallback = () => new AdaptiveRateLimiter({ limitQps: 20 })
    const limiters = [
      new SharedRateLimiter({ connection: early, limitQps: 20, fallback: fallback() }),
      new SharedRateLimiter({
        connection: late,
        limitQps: 20,
        fallback: fallback(),
        now: () => Date.now() + 3_600_000,
      }),
    ]
    const started = performance.now()

    // Act: six slots, alternating instances, with deadlines on each one's own clock
    const grantedAt: number[] = []
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const limiter = limiters[i % 2] as SharedRateLimiter
        const clock = i % 2 === 0 ? Date.now() : Date.now() + 3_600_000
        if (await limiter.acquire(clock + 5_000)) grantedAt.push(performance.now() - started)
      }),
    )

    // Assess: one queue at 20/s across both: the sixth slot 250 ms after the first
    grantedAt.sort((a, b) => a - b)
    expect(grantedAt).toHaveLength(6)
    expect((grantedAt[5] ?? 0) - (grantedAt[0] ?? 0)).toBeGreaterThan(200)
  })
})
