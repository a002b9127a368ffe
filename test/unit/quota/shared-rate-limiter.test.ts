import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AdaptiveRateLimiter } from '../../../lib/quota/adaptive-rate-limiter.js'
import type { PubSlot } from '../../../lib/quota/pub-rate-limiter.js'
import { SharedRateLimiter } from '../../../lib/quota/shared-rate-limiter.js'
import type { RedisConnection, RedisScript } from '../../../lib/redis/connection.js'

type Operation = 'take' | 'check' | 'throttle'
/**
 * What the fake schedule answers: [granted, ticket, wait µs, milli-rate, milli-slack?, growing?, block?],
 * or undefined for "Redis unavailable".
 */
type Answer = number[] | undefined

/**
 * A connection whose script answers come from a list, recording what each call sent; each answer is
 * read `answerAfterMs` (fake) after its command was sent, as on a busy event loop.
 */
function fakeConnection(answers: Answer[], available = true, answerAfterMs = 0) {
  const calls: { operation: Operation; args: (string | number)[] }[] = []
  const connection = {
    available,
    runScript: async (_script: RedisScript, _keys: string[], args: (string | number)[]) => {
      calls.push({ operation: args[0] as Operation, args })
      const answer = answers.shift()
      if (answerAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, answerAfterMs))
      return answer
    },
  }
  return { connection: connection as unknown as RedisConnection, calls }
}

const fallback = () => new AdaptiveRateLimiter({ limitQps: 100, startQps: 100, burstMs: 0 })

describe('SharedRateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  // Starts an acquire (for `slot`) and reports when it settled, in fake milliseconds.
  async function settle(limiter: SharedRateLimiter, deadline: number, slot: PubSlot = {}) {
    const started = Date.now()
    let settledAt = -1
    const granted = Promise.resolve(limiter.acquire(deadline, slot)).then((value) => {
      settledAt = Date.now() - started
      return value
    })
    await vi.runAllTimersAsync()
    return { granted: await granted, ms: settledAt }
  }

  // A limiter (PUB_QPS_LIMIT `limitQps`) whose first call, on `firstSlot`, went through on the first of `answers`.
  async function afterFirstCall(answers: Answer[], limitQps = 1_000) {
    const { connection, calls } = fakeConnection(answers)
    const limiter = new SharedRateLimiter({ connection, limitQps, fallback: fallback() })
    const firstSlot: PubSlot = {}
    await settle(limiter, Date.now() + 1_000, firstSlot)
    return { connection, calls, limiter, firstSlot }
  }

  it('waits exactly the wait the schedule gave, sending the deadline as the longest acceptable wait', async () => {
    // Prepare
    const { connection, calls } = fakeConnection([[1, 7, 15_000, 50_000]])
    const limiter = new SharedRateLimiter({ connection, limitQps: 50, fallback: fallback() })

    // Act
    const result = await settle(limiter, Date.now() + 2_000)

    // Assess
    expect(result).toEqual({ granted: true, ms: 15 })
    expect(calls).toHaveLength(1)
    expect(calls[0]?.args).toEqual(['take', 50, 2_000, 0, 0, 100])
    expect(limiter.rate).toBe(50)
  })

  it('refuses at once when the schedule has no slot before the deadline, keeping its retry-after', async () => {
    // Prepare
    const { connection } = fakeConnection([[0, 0, 4_200_000, 10_000]])
    const limiter = new SharedRateLimiter({ connection, limitQps: 10, fallback: fallback() })

    // Act
    const result = await settle(limiter, Date.now() + 1_000)

    // Assess
    expect(result).toEqual({ granted: false, ms: 0 })
    expect(limiter.retryAfterMs).toBe(4_200)
  })

  it('re-checks a long wait when it ends, and waits more when a throttle moved its ticket later', async () => {
    // Prepare: a 500 ms wait; at its end the ticket is 300 ms further, then due
    const { connection, calls } = fakeConnection([
      [1, 42, 500_000, 100_000],
      [1, 42, 300_000, 50_000],
      [1, 42, 0, 50_000],
    ])
    const limiter = new SharedRateLimiter({ connection, limitQps: 100, fallback: fallback() })

    // Act
    const result = await settle(limiter, Date.now() + 5_000)

    // Assess
    expect(result).toEqual({ granted: true, ms: 800 })
    expect(calls.map((call) => [call.operation, call.args[4]])).toEqual([
      ['take', 0],
      ['check', 42],
      ['check', 42],
    ])
    expect(calls[1]?.args[2]).toBe(4_500)
  })

  it('does not re-check a short wait: the round trip would cost more than the slot', async () => {
    // Prepare
    const { connection, calls } = fakeConnection([[1, 3, 20_000, 100_000]])
    const limiter = new SharedRateLimiter({ connection, limitQps: 100, fallback: fallback() })

    // Act
    const result = await settle(limiter, Date.now() + 5_000)

    // Assess
    expect(result.granted).toBe(true)
    expect(calls).toHaveLength(1)
  })

  it('re-checks even a short wait while slow start runs: the first throttle would move its ticket later', async () => {
    // Prepare: a 5 ms wait in slow start; meanwhile a throttle cut the fleet's rate, so the ticket is 30 ms away
    const { connection, calls } = fakeConnection([
      [1, 3, 5_000, 100_000, 0, 1],
      [1, 3, 30_000, 20_000, -3, 0],
      [1, 3, 0, 20_000, 0, 0],
    ])
    const limiter = new SharedRateLimiter({ connection, limitQps: 100, fallback: fallback() })

    // Act
    const result = await settle(limiter, Date.now() + 5_000)

    // Assess
    expect(result).toEqual({ granted: true, ms: 35 })
    expect(calls.map((call) => call.operation)).toEqual(['take', 'check', 'check'])
  })

  it('refuses when the re-check finds the moved ticket past the deadline', async () => {
    // Prepare
    const { connection } = fakeConnection([
      [1, 9, 400_000, 10_000],
      [0, 9, 2_000_000, 5_000],
    ])
    const limiter = new SharedRateLimiter({ connection, limitQps: 10, fallback: fallback() })

    // Act
    const result = await settle(limiter, Date.now() + 1_000)

    // Assess
    expect(result).toEqual({ granted: false, ms: 400 })
    expect(limiter.retryAfterMs).toBe(2_000)
  })

  it('goes ahead when Redis is lost while it waited: it held a slot, and no message is held longer', async () => {
    // Prepare
    const { connection } = fakeConnection([[1, 9, 400_000, 10_000], undefined])
    const limiter = new SharedRateLimiter({ connection, limitQps: 10, fallback: fallback() })

    // Act
    const result = await settle(limiter, Date.now() + 1_000)

    // Assess
    expect(result).toEqual({ granted: true, ms: 400 })
  })

  it('falls back to the instance’s own limiter at once while Redis is unavailable, without a round trip', async () => {
    // Prepare
    const { connection, calls } = fakeConnection([], false)
    const own = fallback()
    const limiter = new SharedRateLimiter({ connection, limitQps: 100, fallback: own })

    // Act
    const first = limiter.acquire(Date.now() + 1_000)

    // Assess
    expect(await first).toBe(true)
    expect(calls).toHaveLength(0)
    expect(limiter.rate).toBe(own.rate)
  })

  it('falls back when a call to Redis fails or times out', async () => {
    // Prepare: the fallback has one free slot, then 10 ms between slots
    const { connection } = fakeConnection([undefined, undefined])
    const limiter = new SharedRateLimiter({ connection, limitQps: 100, fallback: fallback() })

    // Act
    const results = [await settle(limiter, Date.now() + 1_000), await settle(limiter, Date.now() + 1_000)]

    // Assess
    expect(results.map((result) => result.granted)).toEqual([true, true])
    expect(results[1]?.ms).toBe(10)
  })

  it('takes the fallback’s retry-after when the fallback refuses', async () => {
    // Prepare: the fallback's one free slot is gone
    const { connection } = fakeConnection([], false)
    const own = fallback()
    own.acquire(Number.POSITIVE_INFINITY)
    const limiter = new SharedRateLimiter({ connection, limitQps: 100, fallback: own })

    // Act
    const result = await settle(limiter, Date.now() + 5)

    // Assess
    expect(result.granted).toBe(false)
    expect(limiter.retryAfterMs).toBe(10)
  })

  it('reports the successes of one turn of the event loop together, in a command no call waits for', async () => {
    // Prepare
    const { calls, limiter } = await afterFirstCall(
      [
        [1, 1, 0, 10_000],
        [1, 0, 0, 10_000],
        [1, 0, 0, 10_000],
      ],
      10,
    )

    // Act
    limiter.recordSuccess()
    limiter.recordSuccess()
    const beforeTheTurnEnds = calls.length
    await vi.runAllTimersAsync()
    limiter.recordSuccess()
    await vi.runAllTimersAsync()

    // Assess
    expect(beforeTheTurnEnds).toBe(1)
    expect(calls.map((call) => [call.operation, call.args[3]])).toEqual([
      ['take', 0],
      ['report', 2],
      ['report', 1],
    ])
  })

  it('lets the next slot carry successes it has not reported yet, rather than send a report of its own', async () => {
    // Prepare
    const { calls, limiter } = await afterFirstCall(
      [
        [1, 1, 0, 10_000],
        [1, 2, 0, 10_000],
      ],
      10,
    )

    // Act: a sequential caller's next call starts in the turn its previous one succeeded
    limiter.recordSuccess()
    await settle(limiter, Date.now() + 1_000)

    // Assess
    expect(calls.map((call) => [call.operation, call.args[3]])).toEqual([
      ['take', 0],
      ['take', 1],
    ])
  })

  it('sends successes it could not report with its next operation', async () => {
    // Prepare: the report is lost (Redis slow), the connection still counts as up
    const { connection, calls } = fakeConnection([undefined, [1, 1, 0, 10_000]])
    const limiter = new SharedRateLimiter({ connection, limitQps: 10, fallback: fallback() })
    limiter.recordSuccess()
    await vi.runAllTimersAsync()

    // Act
    await settle(limiter, Date.now() + 1_000)

    // Assess
    expect(calls.map((call) => [call.operation, call.args[3]])).toEqual([
      ['report', 1],
      ['take', 1],
    ])
  })

  it('drops successes older than the last second rather than count them in the fleet’s current one', async () => {
    // Prepare: a success, then the instance frozen (as FC does after the answer) for a minute
    const { calls, limiter } = await afterFirstCall(
      [
        [1, 1, 0, 10_000],
        [1, 2, 0, 10_000],
      ],
      10,
    )
    limiter.recordSuccess()
    const thawed = vi.spyOn(performance, 'now').mockReturnValue(performance.now() + 60_000)

    // Act: the next invocation
    await settle(limiter, Date.now() + 1_000)
    thawed.mockRestore()

    // Assess
    expect(calls.map((call) => [call.operation, call.args[3]])).toEqual([
      ['take', 0],
      ['take', 0],
    ])
  })

  it('does not send the fleet, when Redis is back, the successes its own limiter paced during the outage', async () => {
    // Prepare: 100 successes while Redis was unavailable
    const { connection, calls } = fakeConnection([[1, 1, 0, 10_000]], false)
    const limiter = new SharedRateLimiter({ connection, limitQps: 10, fallback: fallback() })
    for (let i = 0; i < 100; i++) limiter.recordSuccess()
    ;(connection as { available: boolean }).available = true

    // Act
    await settle(limiter, Date.now() + 1_000)

    // Assess: none rides along (the fleet's slow start would jump by them, its last second swell)
    expect(calls.map((call) => [call.operation, call.args[3]])).toEqual([['take', 0]])
  })

  it('sends a throttle to the fleet’s schedule, not to its own limiter, which paces nothing meanwhile', async () => {
    // Prepare
    const { connection, calls } = fakeConnection([[1, 0, 0, 5_000]])
    const own = fallback()
    const limiter = new SharedRateLimiter({ connection, limitQps: 10, fallback: own })

    // Act
    limiter.recordThrottle()
    await vi.runAllTimersAsync()

    // Assess
    expect(calls.map((call) => call.operation)).toEqual(['throttle'])
    expect(own.rate).toBe(100)
    expect(limiter.rate).toBe(5)
  })

  it('names the throttled call’s ticket, so that the fleet can tell a call made before its pause', async () => {
    // Prepare: ticket 7, due after a wait that a check confirmed
    const { calls, limiter, firstSlot } = await afterFirstCall([
      [1, 7, 30_000, 1_000_000],
      [1, 7, 0, 1_000_000],
      [1, 0, 0, 1_000_000],
    ])

    // Act
    limiter.recordThrottle(firstSlot)
    await vi.runAllTimersAsync()

    // Assess: the seventh argument, after those the previous version of the script reads
    expect(calls.map((call) => call.operation)).toEqual(['take', 'check', 'throttle'])
    expect(calls[2]?.args).toHaveLength(7)
    expect(calls[2]?.args[6]).toBe(7)
  })

  it('names the throttled call’s own ticket among a batch’s calls at once, not the latest granted', async () => {
    // Prepare: no room, then two calls at once, granted tickets 7 and 8
    const { calls, limiter } = await afterFirstCall([
      [1, 1, 0, 1_000_000, 0],
      [1, 7, 0, 1_000_000, 0],
      [1, 8, 0, 1_000_000, 0],
      [1, 0, 0, 1_000_000],
    ])
    const [first, second] = [{}, {}]
    const granted = Promise.all([
      limiter.acquire(Date.now() + 1_000, first),
      limiter.acquire(Date.now() + 1_000, second),
    ])
    await vi.runAllTimersAsync()
    expect(await granted).toEqual([true, true])

    // Act: IoT throttles the first
    limiter.recordThrottle(first)
    await vi.runAllTimersAsync()

    // Assess
    expect(calls.map((call) => call.operation)).toEqual(['take', 'take', 'take', 'throttle'])
    expect(calls[3]?.args[6]).toBe(7)
  })

  it('names the ticket of a call that went ahead of its answer once the answer came', async () => {
    // Prepare: an answer showing room, so that the next call goes without waiting for its ticket, 9
    const { calls, limiter } = await afterFirstCall([
      [1, 1, 0, 1_000_000, 5_000],
      [1, 9, 0, 1_000_000, 0],
      [1, 0, 0, 1_000_000],
    ])
    const slot = {}
    expect(limiter.acquire(Date.now() + 1_000, slot)).toBe(true)
    await vi.runAllTimersAsync()

    // Act
    limiter.recordThrottle(slot)
    await vi.runAllTimersAsync()

    // Assess
    expect(calls[2]?.operation).toBe('throttle')
    expect(calls[2]?.args[6]).toBe(9)
  })

  it('waits for its own answer after IoT throttles, whatever room the last answer showed', async () => {
    // Prepare: an answer showing room, a moment ago
    const { limiter } = await afterFirstCall([
      [1, 1, 0, 1_000_000, 5_000],
      [1, 0, 0, 1_000_000],
      [1, 2, 3_000, 500_000, -2_000],
    ])

    // Act
    limiter.recordThrottle()
    const next = limiter.acquire(Date.now() + 1_000)

    // Assess
    expect(next).toBeInstanceOf(Promise)
    await vi.runAllTimersAsync()
  })

  it('names no ticket for a call that went before its slot’s answer came', async () => {
    // Prepare: an answer showing room, so that the next call does not wait for its own
    const { calls, limiter } = await afterFirstCall([
      [1, 1, 0, 1_000_000, 5_000],
      [1, 2, 0, 1_000_000, 3_000],
      [1, 0, 0, 1_000_000],
    ])

    // Act: throttled before the answer to its take came back
    const slot: PubSlot = {}
    expect(limiter.acquire(Date.now() + 1_000, slot)).toBe(true)
    limiter.recordThrottle(slot)
    await vi.runAllTimersAsync()

    // Assess: not ticket 1, the call before
    expect(calls.map((call) => call.operation)).toEqual(['take', 'take', 'throttle'])
    expect(calls[2]?.args).toHaveLength(6)
  })

  it('goes on at the pace the fleet gave the instance when Redis is lost, not at a burst', async () => {
    // Prepare: 40 calls in the last second, paced by the fleet, each reported
    const answers: Answer[] = Array.from({ length: 80 }, (_, i) => [1, i, 0, 200_000, 0])
    const { connection } = fakeConnection(answers)
    const own = new AdaptiveRateLimiter({ limitQps: 1_600 })
    const limiter = new SharedRateLimiter({ connection, limitQps: 1_600, fallback: own })
    for (let i = 0; i < 40; i++) {
      await settle(limiter, Date.now() + 1_000)
      limiter.recordSuccess()
      vi.advanceTimersByTime(20)
    }
    // Act: Redis goes; its next calls are paced by the instance's own limiter
    ;(connection as { available: boolean }).available = false
    const granted = [await settle(limiter, Date.now() + 1_000), await settle(limiter, Date.now() + 1_000)]

    // Assess: 40 calls a second (one slot banked, then 25 ms apart), not the 297/s slow start would have grown to
    expect(own.rate).toBeCloseTo(40, 0)
    expect(granted.map((result) => result.ms)).toEqual([0, 25])
    expect(limiter.rate).toBe(own.rate)
  })

  it('lets its own limiter, taking over, still see a throttle the fleet’s schedule could not be told of', async () => {
    // Prepare: the throttle's command fails (Redis slow), which opens an outage
    const { connection } = fakeConnection([undefined])
    const own = fallback()
    const limiter = new SharedRateLimiter({ connection, limitQps: 100, fallback: own })

    // Act
    limiter.recordThrottle()
    await vi.runAllTimersAsync()
    ;(connection as { available: boolean }).available = false
    await settle(limiter, Date.now() + 1_000)

    // Assess: too few successes to tell, so half; not the throttled pace, uncut
    expect(own.rate).toBe(50)
  })

  it('lets throttles and successes during an outage steer its own limiter', async () => {
    // Prepare
    const { connection } = fakeConnection([], false)
    const own = fallback()
    const limiter = new SharedRateLimiter({ connection, limitQps: 100, fallback: own })
    await settle(limiter, Date.now() + 1_000)

    // Act
    limiter.recordThrottle()

    // Assess: too few successes to tell, so half
    expect(own.rate).toBe(50)
  })

  it('wakes at the soonest its ticket could be due while the fleet’s slow start may still shorten the wait', async () => {
    // Prepare: an 800 ms wait at the current rate, in slow start; at the re-check the ticket is due
    const { connection, calls } = fakeConnection([
      [1, 30, 800_000, 20_000, -30_000, 1],
      [1, 30, 0, 160_000, 0, 1],
    ])
    const limiter = new SharedRateLimiter({ connection, limitQps: 1_600, fallback: fallback() })

    // Act
    const result = await settle(limiter, Date.now() + 5_000)

    // Assess: rate doubling every 100 ms serves 800 ms of tickets in 100 × log2(1 + 8 ln 2) ms
    expect(result.granted).toBe(true)
    expect(result.ms).toBeCloseTo(100 * Math.log2(1 + 8 * Math.LN2), -1)
    expect(calls.map((call) => call.operation)).toEqual(['take', 'check'])
  })

  it('wakes no sooner than PUB_QPS_LIMIT could serve the tickets ahead, however fast slow start doubles', async () => {
    // Prepare: a 10 s wait at 20/s (200 tickets ahead) with a limit of 40/s; at the re-check the ticket is due
    const { connection } = fakeConnection([
      [1, 200, 10_000_000, 20_000, -200_000, 1],
      [1, 200, 0, 40_000, 0, 1],
    ])
    const limiter = new SharedRateLimiter({ connection, limitQps: 40, fallback: fallback() })

    // Act
    const result = await settle(limiter, Date.now() + 10_000)

    // Assess: 100 ms doubling to 40/s (about 2.9 tickets), the other 197.1 at 40/s
    expect(result.granted).toBe(true)
    expect(result.ms).toBeCloseTo(100 + (200 - (20 * 100) / (1_000 * Math.LN2)) * 25, -1)
  })

  it('does not wait for Redis while the fleet is far under its rate, yet still takes the slot', async () => {
    // Prepare: the last answer came at once, with unused slots before it
    const { calls, limiter } = await afterFirstCall([
      [1, 1, 0, 1_000_000, 5_000],
      [1, 2, 0, 1_000_000, 3_000],
    ])

    // Act
    const second = limiter.acquire(Date.now() + 1_000)

    // Assess: granted without a promise, the take sent all the same
    expect(second).toBe(true)
    expect(calls.map((call) => call.operation)).toEqual(['take', 'take'])
  })

  // A limiter that took a block of 16 slots ahead, a millisecond apart (1,000/s), calling on the first.
  async function withSlotsAhead(more: Answer[] = []) {
    const { calls, limiter } = await afterFirstCall([
      [1, 1, 0, 1_000_000, 20_000],
      [1, 2, 0, 1_000_000, 20_000, 0, 16],
      ...more,
    ])
    expect(limiter.acquire(Date.now() + 1_000)).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    return { limiter, calls }
  }

  it('takes slots ahead while the fleet has room, and calls on them with no command at all', async () => {
    // Prepare
    const { limiter, calls } = await withSlotsAhead()

    // Act: the next 15 calls, a millisecond apart
    const granted = []
    for (let n = 0; n < 15; n++) {
      await vi.advanceTimersByTimeAsync(1)
      granted.push(limiter.acquire(Date.now() + 1_000))
    }

    // Assess: the block asked for in the take's seventh argument
    expect(granted).toEqual(Array(15).fill(true))
    expect(calls.map((call) => call.operation)).toEqual(['take', 'take'])
    expect(calls[1]?.args[6]).toBe(16)
  })

  it('calls on a slot taken ahead only once it is due at the fleet’s rate', async () => {
    // Prepare
    const { limiter, calls } = await withSlotsAhead([[1, 18, 0, 1_000_000, 0]])

    // Act: at once, before the next slot is due
    limiter.acquire(Date.now() + 1_000)

    // Assess
    expect(calls.map((call) => call.operation)).toEqual(['take', 'take', 'take'])
  })

  it('forgets slots taken ahead once they are older than an answer showing room may be', async () => {
    // Prepare
    const { limiter, calls } = await withSlotsAhead([[1, 18, 0, 1_000_000, 0]])

    // Act
    await vi.advanceTimersByTimeAsync(60)
    await settle(limiter, Date.now() + 1_000)

    // Assess: a take, and a call that waited for its answer
    expect(calls.map((call) => call.operation)).toEqual(['take', 'take', 'take'])
  })

  it('lets the take after the slots taken ahead carry their successes, not a report per call', async () => {
    // Prepare
    const { limiter, calls } = await withSlotsAhead([[1, 18, 0, 1_000_000, 20_000]])
    limiter.recordSuccess()

    // Act: 15 calls on the slots ahead, each a success, then one more
    for (let n = 0; n < 15; n++) {
      await vi.advanceTimersByTimeAsync(1)
      limiter.acquire(Date.now() + 1_000)
      limiter.recordSuccess()
    }
    await vi.advanceTimersByTimeAsync(1)
    limiter.acquire(Date.now() + 1_000)

    // Assess
    expect(calls.map((call) => [call.operation, call.args[3]])).toEqual([
      ['take', 0],
      ['take', 0],
      ['take', 16],
    ])
  })

  it('still reports those successes when no call comes for them to ride with', async () => {
    // Prepare
    const { limiter, calls } = await withSlotsAhead([[1, 0, 0, 1_000_000]])

    // Act
    limiter.recordSuccess()
    await vi.advanceTimersByTimeAsync(49)
    const before = calls.length
    await vi.advanceTimersByTimeAsync(2)

    // Assess: within the 50 ms an answer showing room stays fresh
    expect(before).toBe(2)
    expect(calls.map((call) => [call.operation, call.args[3]])).toEqual([
      ['take', 0],
      ['take', 0],
      ['report', 1],
    ])
  })

  it('reports successes at once again after a throttle: the cut needs them', async () => {
    // Prepare
    const { limiter, calls } = await withSlotsAhead([
      [1, 0, 0, 500_000],
      [1, 0, 0, 500_000],
    ])
    limiter.recordSuccess()
    limiter.recordThrottle()
    await vi.advanceTimersByTimeAsync(0)

    // Act: one success held back before the throttle, which carries it; one after
    limiter.recordSuccess()
    await vi.advanceTimersByTimeAsync(0)

    // Assess
    expect(calls.map((call) => [call.operation, call.args[3]])).toEqual([
      ['take', 0],
      ['take', 0],
      ['throttle', 1],
      ['report', 1],
    ])
  })

  it('drops the slots taken ahead when IoT throttles: the room they came from is gone', async () => {
    // Prepare
    const { limiter, calls } = await withSlotsAhead([
      [1, 0, 0, 500_000],
      [1, 18, 2_000, 500_000, -1_000],
    ])

    // Act
    limiter.recordThrottle()
    await vi.advanceTimersByTimeAsync(1)
    const next = limiter.acquire(Date.now() + 1_000)

    // Assess
    expect(next).toBeInstanceOf(Promise)
    expect(calls.map((call) => call.operation)).toEqual(['take', 'take', 'throttle', 'take'])
    await vi.runAllTimersAsync()
  })

  it('takes no slots ahead from an answer that came after IoT throttled the call it was for', async () => {
    // Prepare: an answer showing room, so that the next call takes a block without waiting for it
    const { calls, limiter } = await afterFirstCall([
      [1, 1, 0, 1_000_000, 20_000],
      [1, 2, 0, 1_000_000, 20_000, 0, 16],
      [1, 0, 0, 500_000],
      [1, 18, 2_000, 500_000, -1_000],
    ])
    expect(limiter.acquire(Date.now() + 1_000)).toBe(true)

    // Act: throttled before the block's answer came back
    limiter.recordThrottle()
    await vi.advanceTimersByTimeAsync(1)
    const next = limiter.acquire(Date.now() + 1_000)

    // Assess: the room the block came from is gone, as when the throttle comes after its answer
    expect(next).toBeInstanceOf(Promise)
    expect(calls.map((call) => call.operation)).toEqual(['take', 'take', 'throttle', 'take'])
    await vi.runAllTimersAsync()
  })

  it('calls on slots taken ahead no faster than they come due, however long no call came for them', async () => {
    // Prepare
    const { limiter } = await withSlotsAhead([
      [1, 18, 16_000, 1_000_000, -15_000],
      [1, 19, 17_000, 1_000_000, -16_000],
    ])

    // Act: 40 ms later, a batch of 15 calls at once
    await vi.advanceTimersByTimeAsync(40)
    const granted = Array.from({ length: 15 }, () => limiter.acquire(Date.now() + 1_000))

    // Assess: the slot due now, and the one call an answer showing room lets through; not 15 at once
    // (slots that came due unused are gone, as the fleet's schedule banks none)
    expect(granted.filter((slot) => slot === true).length).toBeLessThanOrEqual(2)
    await vi.runAllTimersAsync()
  })

  it('calls on a slot taken ahead a few milliseconds after it came due: a sequential caller slower than the rate', async () => {
    // Prepare: 16 slots 0.01 ms apart (100,000/s), all due within 0.2 ms
    const { calls, limiter } = await afterFirstCall(
      [
        [1, 1, 0, 100_000_000, 20_000],
        [1, 2, 0, 100_000_000, 20_000, 0, 16],
      ],
      1_000_000,
    )
    limiter.acquire(Date.now() + 1_000)
    await vi.advanceTimersByTimeAsync(0)

    // Act: a call every 0.6 ms
    const granted = []
    for (let n = 0; n < 15; n++) {
      await vi.advanceTimersByTimeAsync(0.6)
      granted.push(limiter.acquire(Date.now() + 1_000))
    }

    // Assess: all within 10 ms of their slots, with no command
    expect(granted).toEqual(Array(15).fill(true))
    expect(calls).toHaveLength(2)
  })

  it('names no ticket for a call its own limiter let through while Redis was unavailable', async () => {
    // Prepare: ticket 7 from the fleet, then a call paced by the own limiter during an outage
    const { connection, calls, limiter } = await afterFirstCall([
      [1, 7, 0, 1_000_000],
      [1, 0, 0, 1_000_000],
    ])
    ;(connection as { available: boolean }).available = false
    const slot: PubSlot = {}
    await settle(limiter, Date.now() + 1_000, slot)

    // Act: Redis is back when IoT throttles that call
    ;(connection as { available: boolean }).available = true
    limiter.recordThrottle(slot)
    await vi.runAllTimersAsync()

    // Assess: not ticket 7, a call made before the outage
    expect(calls.map((call) => call.operation)).toEqual(['take', 'throttle'])
    expect(calls[1]?.args).toHaveLength(6)
  })

  it('lets one call through without waiting per answer: a batch’s concurrent calls wait for theirs', async () => {
    // Prepare
    const { limiter } = await afterFirstCall([
      [1, 1, 0, 1_000_000, 5_000],
      [1, 2, 0, 1_000_000, 3_000],
      [1, 3, 0, 1_000_000, 3_000],
    ])

    // Act
    const first = limiter.acquire(Date.now() + 1_000)
    const second = limiter.acquire(Date.now() + 1_000)

    // Assess
    expect(first).toBe(true)
    expect(second).toBeInstanceOf(Promise)
    await vi.runAllTimersAsync()
  })

  it('counts an answer showing room as old as its command: read late, it may predate a throttle', async () => {
    // Prepare: answers showing room, each read 40 ms after its command went
    const { connection, calls } = fakeConnection(
      [
        [1, 1, 0, 1_000_000, 5_000],
        [1, 2, 0, 1_000_000, 5_000],
      ],
      true,
      40,
    )
    const limiter = new SharedRateLimiter({ connection, limitQps: 1_000, fallback: fallback() })
    await settle(limiter, Date.now() + 1_000)

    // Act: 20 ms after the answer came, 60 ms after its command
    vi.advanceTimersByTime(20)
    const next = limiter.acquire(Date.now() + 1_000)

    // Assess: the call waits for an answer of its own
    expect(next).toBeInstanceOf(Promise)
    expect(calls.map((call) => call.operation)).toEqual(['take', 'take'])
    await vi.runAllTimersAsync()
  })

  it('counts slots taken ahead from the take that asked for them: read late, they are gone', async () => {
    // Prepare: room, then a block of 16 slots a millisecond apart, each answer read 45 ms after its command
    const { connection, calls } = fakeConnection(
      [
        [1, 1, 0, 1_000_000, 20_000],
        [1, 2, 0, 1_000_000, 20_000, 0, 16],
        [1, 18, 0, 1_000_000, 0],
      ],
      true,
      45,
    )
    const limiter = new SharedRateLimiter({ connection, limitQps: 1_000, fallback: fallback() })
    await settle(limiter, Date.now() + 1_000)
    expect(limiter.acquire(Date.now() + 1_000)).toBe(true)
    await vi.advanceTimersByTimeAsync(45)

    // Act: 10 ms after the block came, 55 ms after its take
    await vi.advanceTimersByTimeAsync(10)
    const next = limiter.acquire(Date.now() + 1_000)

    // Assess: no slot ahead, a take of its own
    expect(next).toBeInstanceOf(Promise)
    expect(calls.map((call) => call.operation)).toEqual(['take', 'take', 'take'])
    await vi.runAllTimersAsync()
  })

  it.each([
    ['a backlog', [1, 1, 0, 1_000_000, -3_000], 0],
    ['less than a slot unused', [1, 1, 0, 1_000_000, 500], 0],
    ['a wait', [1, 1, 5_000, 1_000_000, 2_000], 0],
    ['room, but 60 ms ago', [1, 1, 0, 1_000_000, 5_000], 60],
  ])('waits for the answer when the last one showed %s', async (_, last, agoMs) => {
    // Prepare
    const { limiter } = await afterFirstCall([last, [1, 2, 0, 1_000_000, 0]])
    vi.advanceTimersByTime(agoMs)

    // Act
    const next = limiter.acquire(Date.now() + 1_000)

    // Assess
    expect(next).toBeInstanceOf(Promise)
    expect(await next).toBe(true)
  })
})
