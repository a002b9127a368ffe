import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type GatewayError,
  MessageRejectedError,
  ThrottledError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../../lib/errors.js'
import type { Publisher, PublishOptions } from '../../../lib/iot/publisher.js'
import { createLogger } from '../../../lib/log.js'
import type { PubRateLimiter, PubSlot } from '../../../lib/quota/pub-rate-limiter.js'
import { RetryQuota } from '../../../lib/retry/retry-quota.js'
import { createRetryingPublisher } from '../../../lib/retry/retrying-publisher.js'

const delivered = { messageId: '1889455942124347329', requestId: 'req' }

// Failures as the transport and the classification make them.
const resetAfterWrite = () => maybe(new UpstreamUnavailableError('ECONNRESET'))
const readTimeout = () => maybe(new UpstreamTimeoutError('ResponseTimeout'))
const connectTimeout = () => new UpstreamUnavailableError('ConnectTimeout')
function maybe<T extends GatewayError>(error: T): T {
  error.mayHavePublished = true
  return error
}

// A publisher that fails with the given errors, then succeeds.
function failing(...errors: GatewayError[]) {
  const calls: PublishOptions[] = []
  const publisher: Publisher = {
    async publish(_parameters, options = {}) {
      calls.push(options)
      const error = errors.shift()
      if (error) throw error
      return delivered
    },
  }
  return { publisher, calls }
}

function openLimiter(): PubRateLimiter & { throttles: number; successes: number } {
  return {
    rate: 1_000,
    throttles: 0,
    successes: 0,
    acquire: async () => true,
    recordThrottle() {
      this.throttles++
    },
    recordSuccess() {
      this.successes++
    },
  }
}

describe('createRetryingPublisher', () => {
  const lines: string[] = []
  const logger = createLogger((line) => lines.push(line))

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
    lines.length = 0
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  function retrying(
    inner: Publisher,
    overrides: Partial<Parameters<typeof createRetryingPublisher>[1]> = {},
  ) {
    return createRetryingPublisher(inner, {
      limiter: openLimiter(),
      quota: new RetryQuota(),
      logger,
      deadline: 30_000,
      pubTimeoutMs: 5_000,
      requestId: 'fc-1',
      random: () => 0.5,
      ...overrides,
    })
  }

  // Handles the outcome before the timers run, so that a rejection is never left unhandled meanwhile.
  async function settle<T>(promise: Promise<T>): Promise<T> {
    const outcome = promise.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    )
    await vi.runAllTimersAsync()
    const settled = await outcome
    if (!settled.ok) throw settled.error
    return settled.value
  }

  // The failure a publish ends with; a success fails the test.
  async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
    return settle(promise).then(
      () => {
        throw new Error('expected the publish to fail')
      },
      (thrown: GatewayError) => thrown,
    )
  }

  it('repeats the call after throttling until it goes through, telling the limiter', async () => {
    // Prepare
    const { publisher, calls } = failing(
      new ThrottledError('Throttling.User'),
      new ThrottledError('Throttling'),
    )
    const limiter = openLimiter()

    // Act
    const result = await settle(retrying(publisher, { limiter }).publish({}))

    // Assess
    expect(result).toEqual(delivered)
    expect(calls).toHaveLength(3)
    expect(limiter.throttles).toBe(2)
    expect(limiter.successes).toBe(1)
  })

  it('tells the limiter which call IoT throttled: the slot that call acquired, a fresh one per call', async () => {
    // Prepare: a limiter that numbers the slots it grants
    const { publisher } = failing(new ThrottledError('Throttling'))
    const throttled: PubSlot[] = []
    let granted = 0
    const limiter: PubRateLimiter = {
      rate: 1_000,
      acquire: (_deadline, slot) => {
        if (slot) slot.ticket = ++granted
        return true
      },
      recordThrottle: (slot) => throttled.push({ ...slot }),
      recordSuccess: () => {},
    }

    // Act
    await settle(retrying(publisher, { limiter }).publish({}))

    // Assess: the first call's slot, not the retry's
    expect(granted).toBe(2)
    expect(throttled).toEqual([{ ticket: 1 }])
  })

  it('waits with full jitter: half the 1 s ceiling, then half of 2 s', async () => {
    // Prepare
    const { publisher } = failing(
      new ThrottledError('Throttling.User'),
      new ThrottledError('Throttling.User'),
    )
    const promise = retrying(publisher).publish({})

    // Act
    await vi.advanceTimersByTimeAsync(499)
    const beforeFirstDelay = Date.now()
    await settle(promise)

    // Assess
    expect(beforeFirstDelay).toBe(499)
    expect(Date.now()).toBe(500 + 1_000)
  })

  it('logs one line per retry with attempt, code and delay', async () => {
    // Prepare
    const { publisher } = failing(new UpstreamUnavailableError('ServiceUnavailable'))

    // Act
    await settle(retrying(publisher).publish({}))

    // Assess
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        msg: 'retry',
        requestId: 'fc-1',
        attempt: 1,
        iotCode: 'ServiceUnavailable',
        delayMs: 25,
      }),
    ])
  })

  it('never repeats a refusal of the message', async () => {
    // Prepare
    const { publisher, calls } = failing(new MessageRejectedError('iot.device.NotExistedDevice', 'x', 404))

    // Act
    const outcome = settle(retrying(publisher).publish({}))

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(MessageRejectedError)
    expect(calls).toHaveLength(1)
  })

  it('gives up when the retry budget is spent, saying how many calls it made', async () => {
    // Prepare
    const errors = Array.from({ length: 50 }, () => new UpstreamUnavailableError('ServiceUnavailable'))
    const { publisher, calls } = failing(...errors)
    const quota = new RetryQuota({ capacity: 28 })

    // Act
    const outcome = settle(retrying(publisher, { quota }).publish({})).catch((error: GatewayError) => error)

    // Assess
    expect(await outcome).toMatchObject({
      code: 'UpstreamUnavailable',
      iotCode: 'ServiceUnavailable',
      attempts: 3,
    })
    expect(calls).toHaveLength(3)
  })

  it('gives up rather than sleep past the deadline, with a Retry-After', async () => {
    // Prepare
    const errors = Array.from({ length: 50 }, () => new ThrottledError('Throttling.User'))
    const { publisher } = failing(...errors)

    // Act
    const outcome = settle(retrying(publisher, { deadline: 2_500 }).publish({})).catch(
      (error: GatewayError) => error,
    )
    const error = await outcome

    // Assess
    expect(error).toBeInstanceOf(ThrottledError)
    expect(Date.now()).toBeLessThanOrEqual(2_500)
    expect((error as GatewayError).headers['retry-after']).toMatch(/^\d+$/)
  })

  it('shortens the call timeout to the time left before the deadline', async () => {
    // Prepare
    const { publisher, calls } = failing(new UpstreamTimeoutError('RequestTimeout'))

    // Act
    await settle(retrying(publisher, { deadline: 1_200, pubTimeoutMs: 5_000 }).publish({}))

    // Assess
    expect(calls[0]?.timeoutMs).toBe(1_200)
    expect(calls[1]?.timeoutMs).toBeLessThan(1_200)
  })

  it('answers Throttled without calling IoT when the limiter has no slot before the deadline', async () => {
    // Prepare
    const { publisher, calls } = failing()
    const limiter = { ...openLimiter(), acquire: async () => false }

    // Act
    const outcome = settle(retrying(publisher, { limiter }).publish({})).catch((error: GatewayError) => error)

    // Assess
    expect(await outcome).toMatchObject({ code: 'Throttled', attempts: 0 })
    expect(calls).toHaveLength(0)
  })

  it('answers with the last failure, not Throttled, when the limiter has no slot for a retry near the deadline', async () => {
    // Prepare: IoT's TLS fails; the limiter grants the first call, then nothing before the deadline
    const { publisher, calls } = failing(new UpstreamUnavailableError('DEPTH_ZERO_SELF_SIGNED_CERT'))
    let granted = 0
    const limiter = { ...openLimiter(), acquire: async () => granted++ === 0 }

    // Act
    const error = await rejection(retrying(publisher, { limiter }).publish({}))

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError)
    expect(error).toMatchObject({ iotCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', attempts: 1 })
    expect(calls).toHaveLength(1)
  })

  it('says when to try again when the limiter has no slot after a throttle that named no usable Retry-After', async () => {
    // Prepare: IoT throttles without a usable Retry-After; the limiter grants the first call only
    const { publisher } = failing(new ThrottledError('Throttling.User'))
    let granted = 0
    const limiter = { ...openLimiter(), acquire: async () => granted++ === 0 }

    // Act
    const error = await rejection(retrying(publisher, { limiter }).publish({}))

    // Assess
    expect(error).toBeInstanceOf(ThrottledError)
    expect((error as ThrottledError).headers['retry-after']).toMatch(/^\d+$/)
  })

  it('earns the budget back on success', async () => {
    // Prepare
    const quota = new RetryQuota()
    const { publisher } = failing(new ThrottledError('Throttling.User'))

    // Act
    await settle(retrying(publisher, { quota }).publish({}))

    // Assess
    expect(quota.available).toBe(500 - 5 + 1)
  })

  it('repeats failures that cannot have reached IoT freely, within budget and deadline', async () => {
    // Prepare
    const { publisher, calls } = failing(...Array.from({ length: 6 }, connectTimeout))

    // Act
    const result = await settle(retrying(publisher).publish({}))

    // Assess
    expect(result).toEqual(delivered)
    expect(calls).toHaveLength(7)
  })

  it.each([
    ['a read timeout', readTimeout],
    ['a reset after the request was written', resetAfterWrite],
  ])('repeats %s once by default, then answers 504 naming the attempts', async (_, failure) => {
    // Prepare
    const { publisher, calls } = failing(failure(), failure(), failure())

    // Act
    const error = await rejection(retrying(publisher).publish({}))

    // Assess
    expect(calls).toHaveLength(2)
    expect(error).toBeInstanceOf(UpstreamTimeoutError)
    expect(error).toMatchObject({ status: 504, attempts: 2, mayHavePublished: true })
    expect(error.message).toContain('may have been published')
  })

  it.each([0, 1, 3])('repeats calls that may have published at most %i times', async (maybeSentRetries) => {
    // Prepare
    const { publisher, calls } = failing(...Array.from({ length: 10 }, readTimeout))

    // Act
    const error = await rejection(retrying(publisher, { maybeSentRetries }).publish({}))

    // Assess
    expect(calls).toHaveLength(maybeSentRetries + 1)
    expect(error).toMatchObject({ code: 'UpstreamTimeout', attempts: maybeSentRetries + 1 })
  })

  it.each([
    ['throttled', () => new ThrottledError('Throttling.User'), 'Throttling.User'],
    ['unavailable', () => new UpstreamUnavailableError('ServiceUnavailable'), 'ServiceUnavailable'],
  ] as [string, () => GatewayError, string][])(
    'answers 504, not the last failure, when an earlier call may have published and IoT then stays %s',
    async (_, later, iotCode) => {
      // Prepare
      const { publisher } = failing(readTimeout(), ...Array.from({ length: 50 }, later))

      // Act
      const error = await rejection(retrying(publisher, { deadline: 4_000 }).publish({}))

      // Assess
      expect(error).toMatchObject({ status: 504, code: 'UpstreamTimeout', iotCode, mayHavePublished: true })
      expect(error.attempts).toBeGreaterThan(1)
    },
  )

  it('keeps IoT’s refusal of the message as the answer even after a call that may have published', async () => {
    // Prepare
    const { publisher } = failing(
      readTimeout(),
      new MessageRejectedError('iot.device.NotExistedDevice', 'x', 404),
    )

    // Act
    const error = await rejection(retrying(publisher).publish({}))

    // Assess
    expect(error).toMatchObject({ status: 404, attempts: 2 })
  })

  it('answers 503, not 504, when the deadline leaves no time for a first call', async () => {
    // Prepare
    const { publisher, calls } = failing()

    // Act
    const error = await rejection(retrying(publisher, { deadline: 50 }).publish({}))

    // Assess
    expect(calls).toHaveLength(0)
    expect(error).toMatchObject({ status: 503, iotCode: 'GatewayDeadline', attempts: 0 })
  })

  it('does not storm when IoT throttles with Retry-After: 0', async () => {
    // Prepare
    const throttle = () => Object.assign(new ThrottledError('Throttling.User'), { retryAfterMs: 0 })
    const { publisher, calls } = failing(...Array.from({ length: 100 }, throttle))

    // Act
    await settle(retrying(publisher, { deadline: 2_300 }).publish({})).catch(() => undefined)

    // Assess: the backoff (half of 1 s, then of 2 s) still applies
    expect(calls.length).toBeLessThanOrEqual(3)
  })

  it('answers a Retry-After within the cap, whatever IoT asked for', async () => {
    // Prepare
    const throttle = () => Object.assign(new ThrottledError('Throttling.User'), { retryAfterMs: 1e12 })
    const { publisher } = failing(...Array.from({ length: 5 }, throttle))

    // Act
    const error = await rejection(retrying(publisher, { deadline: 10_000 }).publish({}))

    // Assess
    expect(Number(error.headers['retry-after'])).toBeLessThanOrEqual(20)
  })

  it('bounds IoT’s Retry-After in the answer even for a failure it does not repeat', async () => {
    // Prepare
    const rejected = Object.assign(new UpstreamRejectedError('InvalidAccessKeyId.NotFound'), {
      retryAfterMs: 1e12,
    })
    const { publisher } = failing(rejected)

    // Act
    const error = await rejection(retrying(publisher).publish({}))

    // Assess
    expect(error.headers['retry-after']).toBe('20')
  })

  it('for any sequence of failures, repeats maybe-published calls within the limit and answers honestly', async () => {
    const failure = fc.constantFrom(
      () => connectTimeout(),
      () => resetAfterWrite(),
      () => readTimeout(),
      () => new ThrottledError('Throttling'),
      () => new UpstreamRejectedError('InvalidAccessKeyId.NotFound'),
      () => new MessageRejectedError('iot.prod.NotExistedProduct', 'x', 404),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(failure, { maxLength: 12 }),
        fc.integer({ min: 0, max: 3 }),
        async (sequence, maybeSentRetries) => {
          // Prepare
          vi.setSystemTime(0)
          const errors = sequence.map((make) => make())
          const { publisher, calls } = failing(...errors)

          // Act
          const outcome = await settle(retrying(publisher, { maybeSentRetries }).publish({})).then(
            () => undefined,
            (thrown: GatewayError) => thrown,
          )

          // Assess: no more calls after the limit of maybe-published ones is passed
          const made = errors.slice(0, calls.length)
          const maybeSent = made.filter((error) => error.mayHavePublished).length
          const repeatedAfterMaybe = made.slice(0, -1).filter((error) => error.mayHavePublished).length
          expect(repeatedAfterMaybe).toBeLessThanOrEqual(maybeSentRetries)
          expect(Date.now()).toBeLessThanOrEqual(30_000)
          if (outcome === undefined) return
          expect(outcome.attempts).toBe(calls.length)
          if (maybeSent > 0 && outcome.status !== 404) expect(outcome.status).toBe(504)
          if (maybeSent === 0) expect(outcome.status).not.toBe(504)
        },
      ),
      { numRuns: 300 },
    )
  })
})
