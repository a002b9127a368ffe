import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AdaptiveRateLimiter } from '../../../lib/quota/adaptive-rate-limiter.js'

describe('AdaptiveRateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  // Acquires n slots concurrently and returns when each was granted, relative to now.
  async function grantTimes(limiter: AdaptiveRateLimiter, n: number, deadline = Number.POSITIVE_INFINITY) {
    const start = Date.now()
    const times: (number | false)[] = []
    const all = Array.from({ length: n }, (_, i) =>
      Promise.resolve(limiter.acquire(deadline)).then((granted) => {
        times[i] = granted ? Date.now() - start : false
      }),
    )
    await vi.runAllTimersAsync()
    await Promise.all(all)
    return times
  }

  it('grants a free slot at once, without a promise to wait on', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 10, startQps: 10, burstMs: 0 })

    // Act
    const first = limiter.acquire(Number.POSITIVE_INFINITY)
    const second = limiter.acquire(Number.POSITIVE_INFINITY)

    // Assess
    expect(first).toBe(true)
    expect(second).toBeInstanceOf(Promise)
  })

  it('spaces calls at the configured rate, serving waiters in order', async () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 10, startQps: 10, burstMs: 0 })

    // Act
    const times = await grantTimes(limiter, 5)

    // Assess
    expect(times).toEqual([0, 100, 200, 300, 400])
  })

  it('refuses, without reserving, a slot that would come after the deadline', async () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 10, startQps: 10, burstMs: 0 })

    // Act
    const times = await grantTimes(limiter, 4, Date.now() + 250)
    const later = await grantTimes(limiter, 1)

    // Assess: the clock stands at 200, so the next slot is 100 away (200 had the refusal reserved one)
    expect(times).toEqual([0, 100, 200, false])
    expect(later).toEqual([100])
  })

  it('drops to just under the success rate it observed when IoT throttles', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    for (let i = 0; i < 600; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()

    // Assess
    expect(limiter.rate).toBeCloseTo(570)
  })

  it('drops to the quota it observed in one step, even far below its rate', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_600, startQps: 1_600 })
    for (let i = 0; i < 400; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()

    // Assess
    expect(limiter.rate).toBeCloseTo(380)
  })

  it('halves its rate when it saw too few successes to estimate the quota', () => {
    // Prepare
    // Prepare: a first cut (no successes at all) ends slow start
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_600, startQps: 1_600 })
    limiter.recordThrottle()
    vi.advanceTimersByTime(1_000)
    for (let i = 0; i < 49; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()

    // Assess
    expect(limiter.rate).toBe(400)
  })

  it('keeps, with too few successes to estimate the quota, what it just got when that is more than half', () => {
    // Prepare: an instance serving one request at a time; slow start ended at 23.75 calls a second
    const limiter = new AdaptiveRateLimiter({ limitQps: 30 })
    for (let i = 0; i < 25; i++) limiter.recordSuccess()
    limiter.recordThrottle()
    vi.advanceTimersByTime(1_100)
    for (let i = 0; i < 20; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()

    // Assess: 95% of the 20 it got, not half its rate
    expect(limiter.rate).toBeCloseTo(20 * 0.95)
  })

  it('cuts at least 10% even when the observed rate is close to the current one', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 100, startQps: 100 })
    for (let i = 0; i < 100; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()

    // Assess
    expect(limiter.rate).toBeCloseTo(90)
  })

  it('ignores throttles from calls in flight during the cooldown after a cut', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    limiter.recordThrottle()
    const afterFirstCut = limiter.rate

    // Act
    vi.advanceTimersByTime(500)
    limiter.recordThrottle()

    // Assess
    expect(limiter.rate).toBe(afterFirstCut)
  })

  it('pauses new calls after a throttle, once for throttles that arrive together', async () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({
      limitQps: 100,
      startQps: 100,
      burstMs: 0,
      pauseMs: 100,
      cooldownMs: 0,
    })
    for (let i = 0; i < 100; i++) limiter.recordSuccess()
    await limiter.acquire(Number.POSITIVE_INFINITY)

    // Act
    limiter.recordThrottle()
    limiter.recordThrottle()
    const [next] = await grantTimes(limiter, 1)

    // Assess: the pause holds back the rate's worth of 100 ms, plus one slot at the cut rate
    expect(limiter.rate).toBeGreaterThan(80)
    expect(next).toBeGreaterThanOrEqual(100)
    expect(next).toBeLessThan(250)
  })

  it('never goes under its floor', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 100, startQps: 100, minQps: 60 })

    // Act
    limiter.recordThrottle()

    // Assess
    expect(limiter.rate).toBe(60)
  })

  it('climbs back by 5% a second after the cooldown, up to the limit', async () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    for (let i = 0; i < 500; i++) limiter.recordSuccess()
    limiter.recordThrottle()
    const cut = limiter.rate

    // Act: every free slot taken, a millisecond apart, for the cooldown and two seconds, then ten minutes
    const busyFor = (ms: number) => {
      for (let t = 0; t < ms; t++) {
        vi.advanceTimersByTime(1)
        while (limiter.acquire(Date.now()) === true);
      }
    }
    busyFor(1_000 + 2_000)
    const twoSecondsLater = limiter.rate
    busyFor(600_000)

    // Assess
    expect(twoSecondsLater).toBeCloseTo(cut * 1.05 ** 2, 0)
    expect(limiter.rate).toBe(1_000)
  })

  it('does not climb back while idle: it learns nothing of the quota, and would burst past it', async () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    for (let i = 0; i < 500; i++) limiter.recordSuccess()
    limiter.recordThrottle()
    const cut = limiter.rate

    // Act: ten quiet seconds after the cooldown, then a call
    vi.advanceTimersByTime(1_000 + 10_000)
    await limiter.acquire(Number.POSITIVE_INFINITY)

    // Assess: at most the 50 ms its bucket took to fill again counted
    expect(limiter.rate).toBeLessThan(cut * 1.05 ** 0.1)
  })

  it('adds up the successes of every bucket in the last second', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    for (let i = 0; i < 300; i++) limiter.recordSuccess()
    vi.advanceTimersByTime(500)
    for (let i = 0; i < 300; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()

    // Assess
    expect(limiter.rate).toBeCloseTo(570)
  })

  it('counts the share of its oldest bucket that lies within the last second', () => {
    // Prepare: 200 successes in the bucket that began 1,050 ms ago, half of it within the second
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    for (let i = 0; i < 200; i++) limiter.recordSuccess()
    vi.advanceTimersByTime(1_050)
    for (let i = 0; i < 600; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()

    // Assess
    expect(limiter.rate).toBeCloseTo((100 + 600) * 0.95)
  })

  // A limiter cut once, then `before` successes, a run of throttles in the cooldown, `between` successes,
  // and the cooldown over: its next throttle starts a new run.
  function afterTwoRuns(before: number, between: number): AdaptiveRateLimiter {
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    limiter.recordThrottle()
    vi.advanceTimersByTime(200)
    for (let i = 0; i < before; i++) limiter.recordSuccess()
    vi.advanceTimersByTime(100)
    limiter.recordThrottle()
    for (let i = 0; i < between; i++) limiter.recordSuccess()
    vi.advanceTimersByTime(750)
    return limiter
  }

  it('cuts to what one quota window gave: the successes between two runs of throttles', () => {
    // Prepare: a cut; 100 successes; a run of throttles in the cooldown; 120 successes
    const limiter = afterTwoRuns(100, 120)

    // Act: the first throttle of the next run, after the cooldown
    limiter.recordThrottle()

    // Assess: 0.95 × 120, though the last second held 220 successes
    expect(limiter.rate).toBeCloseTo(120 * 0.95)
  })

  it('never cuts below half the last second’s successes: they span two quota windows at most', () => {
    // Prepare: a cut; 600 successes; a throttle that ended no window (another limit) in the cooldown; 100 more
    const limiter = afterTwoRuns(600, 100)

    // Act
    limiter.recordThrottle()

    // Assess: 0.95 × 700 / 2, not 0.95 × 100
    expect(limiter.rate).toBeCloseTo((700 / 2) * 0.95)
  })

  it('takes throttles with no success between them as one spent window, not as a window that gave nothing', () => {
    // Prepare: 400 successes, then a throttle, and after a pause another one, past the cooldown
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000, cooldownMs: 200 })
    for (let i = 0; i < 400; i++) limiter.recordSuccess()
    vi.advanceTimersByTime(100)
    limiter.recordThrottle()
    const first = limiter.rate
    vi.advanceTimersByTime(300)

    // Act
    limiter.recordThrottle()

    // Assess: the second cut is the smallest one (10% of a rate grown a little since), not half
    expect(first).toBeCloseTo(400 * 0.95)
    expect(limiter.rate).toBeGreaterThan(first * 0.85)
    expect(limiter.rate).toBeLessThan(first)
  })

  it('serves calls at once after the clock steps back, without a debt of the time it went back', () => {
    // Prepare: 100 a second, a slot free; the clock then steps back a minute (NTP)
    const limiter = new AdaptiveRateLimiter({ limitQps: 100, startQps: 100 })
    vi.setSystemTime(Date.now() - 60_000)

    // Act
    const granted = limiter.acquire(Date.now() + 1_000)

    // Assess: not 6,000 slots in debt, refused for a minute
    expect(granted).toBe(true)
  })

  it('still cuts and pauses on a throttle after the clock steps back', () => {
    // Prepare: a cut; a call two seconds later, then the clock steps back a minute; 400 successes
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    limiter.recordThrottle()
    vi.advanceTimersByTime(2_000)
    limiter.acquire(Number.POSITIVE_INFINITY)
    vi.setSystemTime(Date.now() - 60_000)
    for (let i = 0; i < 400; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()
    const granted = limiter.acquire(Number.POSITIVE_INFINITY)

    // Assess: cut to 95% of the 400, and paused; not ignored for the minute the clock went back
    expect(limiter.rate).toBeCloseTo(380)
    expect(granted).toBeInstanceOf(Promise)
  })

  it('forgets the successes counted before the clock stepped back, rather than count them for good', () => {
    // Prepare: 400 successes; the clock steps back a minute; ten seconds pass with 100 successes
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    for (let i = 0; i < 400; i++) limiter.recordSuccess()
    vi.setSystemTime(Date.now() - 60_000)
    vi.advanceTimersByTime(10_000)
    for (let i = 0; i < 100; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()

    // Assess: 95% of the last second's 100, not of 500
    expect(limiter.rate).toBeCloseTo(95)
  })

  // 1,100 ms later the same slot of the ring comes round again; 1,500 ms later another one does.
  it.each([1_100, 1_500])('forgets successes older than a second (%i ms later)', (laterMs) => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    for (let i = 0; i < 800; i++) limiter.recordSuccess()
    vi.advanceTimersByTime(laterMs)
    for (let i = 0; i < 600; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()

    // Assess
    expect(limiter.rate).toBeCloseTo(570)
  })
})

describe('AdaptiveRateLimiter’s slow start', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  it('starts a fresh instance at 20 calls a second, not at its limit', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_600 })

    // Assess
    expect(limiter.rate).toBe(20)
  })

  it('stays low while idle: slow start grows with successes, not with time', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_600 })

    // Act
    vi.advanceTimersByTime(60_000)
    limiter.acquire(Number.POSITIVE_INFINITY)

    // Assess
    expect(limiter.rate).toBe(20)
  })

  it('doubles its rate for each rate’s worth of successes, up to the limit, until the first throttle', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_600 })

    // Act: 250 ms of calls at 20/s is 5 successes; each adds ln 2 × 4 calls/s
    limiter.recordSuccess()
    limiter.recordSuccess()
    const afterTwo = limiter.rate
    for (let i = 0; i < 1_000; i++) limiter.recordSuccess()
    const afterMany = limiter.rate
    limiter.recordThrottle()
    const cut = limiter.rate
    limiter.recordSuccess()

    // Assess
    expect(afterTwo).toBeCloseTo(20 + 2 * Math.LN2 * 4)
    expect(afterMany).toBe(1_600)
    expect(limiter.rate).toBe(cut)
  })

  it('cuts to just under its successes on its first throttle, however few: in slow start every slot was used', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_600 })
    for (let i = 0; i < 20; i++) limiter.recordSuccess()

    // Act
    limiter.recordThrottle()

    // Assess
    expect(limiter.rate).toBe(19)
  })

  it('doubles the pause, up to a second, while the first calls after each pause are throttled', async () => {
    // Prepare: out of slow start, at 100 calls a second
    const limiter = new AdaptiveRateLimiter({ limitQps: 100, startQps: 100, burstMs: 0, cooldownMs: 60_000 })
    limiter.recordThrottle()
    const pauses: number[] = []

    // Act: each time a slot comes, IoT throttles it again
    for (let i = 0; i < 6; i++) {
      const started = Date.now()
      const granted = limiter.acquire(Number.POSITIVE_INFINITY)
      await vi.runAllTimersAsync()
      await granted
      pauses.push(Date.now() - started)
      limiter.recordThrottle()
    }

    // Assess: each pause, plus the slot the cut rate spaces it by
    const expected = [200, 400, 800, 1_000, 1_000]
    pauses.slice(1).forEach((pause, i) => {
      expect(pause).toBeGreaterThanOrEqual(expected[i] as number)
      expect(pause).toBeLessThanOrEqual((expected[i] as number) + 30)
    })
  })

  it('counts successes another limiter paced without growing, and takes over at that pace', () => {
    // Prepare: the fleet's schedule paced 30 calls of this instance in the last second
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_600 })
    for (let i = 0; i < 30; i++) {
      limiter.observeSuccess()
      vi.advanceTimersByTime(30)
    }
    const whilePaced = limiter.rate

    // Act
    limiter.takeOver()

    // Assess: its share, out of slow start (successes no longer double it)
    expect(whilePaced).toBe(20)
    expect(limiter.rate).toBe(30)
    limiter.recordSuccess()
    expect(limiter.rate).toBe(30)
  })

  it('takes over as a lone instance when it made no call in the last second', () => {
    // Prepare
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_600 })
    limiter.observeSuccess()
    vi.advanceTimersByTime(1_500)

    // Act
    limiter.takeOver()
    limiter.recordSuccess()

    // Assess: still in slow start from 20
    expect(limiter.rate).toBeCloseTo(20 + Math.LN2 * 4)
  })

  it('takes over without the debt of a pause a past outage left: its calls are not refused for seconds', () => {
    // Prepare: a past outage ended in a throttle's pause (a debt of 38 slots at 380 a second); Redis paced
    // it for a minute since, 10 calls in the last second
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_000, startQps: 1_000 })
    for (let i = 0; i < 400; i++) limiter.recordSuccess()
    limiter.recordThrottle()
    vi.advanceTimersByTime(60_000)
    for (let i = 0; i < 10; i++) {
      limiter.observeSuccess()
      vi.advanceTimersByTime(90)
    }

    // Act
    limiter.takeOver()
    const granted = limiter.acquire(Date.now() + 1_000)

    // Assess: at its share of 10 a second, a slot free now, not 3.9 s away
    expect(limiter.rate).toBe(10)
    expect(granted).toBe(true)
  })

  it('takes over as a lone instance when it made no call in the last second, whatever a past outage left', () => {
    // Prepare: a past outage took over at 300 a second; Redis paced it since, then it sat idle ten minutes
    const limiter = new AdaptiveRateLimiter({ limitQps: 1_600 })
    for (let i = 0; i < 300; i++) limiter.observeSuccess()
    limiter.takeOver()
    vi.advanceTimersByTime(600_000)

    // Act
    limiter.takeOver()
    const granted = Array.from({ length: 100 }, () => limiter.acquire(Number.POSITIVE_INFINITY) === true)

    // Assess: at a fresh instance's 20 a second, one slot free; not grown over the idle time to the limit
    expect(limiter.rate).toBe(20)
    expect(granted.filter(Boolean)).toHaveLength(1)
  })
})
