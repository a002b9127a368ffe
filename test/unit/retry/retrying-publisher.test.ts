import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type GatewayError,
  MessageRejectedError,
  ThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../../lib/errors.js'
import type { Publisher, PublishOptions } from '../../../lib/iot/publisher.js'
import { createLogger } from '../../../lib/log.js'
import type { PubRateLimiter } from '../../../lib/quota/pub-rate-limiter.js'
import { RetryQuota } from '../../../lib/retry/retry-quota.js'
import { createRetryingPublisher } from '../../../lib/retry/retrying-publisher.js'

const delivered = { messageId: '1889455942124347329', requestId: 'req' }

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

  it('earns the budget back on success', async () => {
    // Prepare
    const quota = new RetryQuota()
    const { publisher } = failing(new ThrottledError('Throttling.User'))

    // Act
    await settle(retrying(publisher, { quota }).publish({}))

    // Assess
    expect(quota.available).toBe(500 - 5 + 1)
  })
})
