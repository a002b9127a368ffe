import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  InvalidRequestError,
  MessageRejectedError,
  ThrottledError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../../lib/errors.js'
import { retryDelay, retryKindOf } from '../../../lib/retry/policy.js'

describe('retryKindOf', () => {
  it.each([
    ['IoT throttling', new ThrottledError('Throttling.User'), 'throttle'],
    ['a RateLimit answer', new ThrottledError('iot.messagebroker.RateLimit'), 'throttle'],
    ['an outage', new UpstreamUnavailableError('ServiceUnavailable'), 'transient'],
    ['a reset connection', new UpstreamUnavailableError('ECONNRESET'), 'transient'],
    ['a timeout', new UpstreamTimeoutError('RequestTimeout'), 'transient'],
    ['the gateway’s own rate limit', new ThrottledError(undefined), undefined],
    ['a bad signature', new UpstreamRejectedError('SignatureDoesNotMatch'), undefined],
    ['an unknown device', new MessageRejectedError('iot.device.NotExistedDevice', 'x', 404), undefined],
    ['an invalid message', new InvalidRequestError('x'), undefined],
    ['a plain Error', new Error('x'), undefined],
  ])('classifies %s', (_, error, kind) => {
    // Act + Assess
    expect(retryKindOf(error)).toBe(kind)
  })
})

describe('retryDelay', () => {
  it.each([
    ['throttle', 1, 1_000],
    ['throttle', 2, 2_000],
    ['throttle', 3, 4_000],
    ['throttle', 6, 20_000],
    ['transient', 1, 50],
    ['transient', 4, 400],
    ['transient', 20, 20_000],
  ] as const)(
    'grows the %s ceiling exponentially: after %i failures it is %i ms',
    (kind, failures, ceiling) => {
      // Act
      const highest = retryDelay(kind, failures, undefined, () => 0.999_999)
      const lowest = retryDelay(kind, failures, undefined, () => 0)

      // Assess
      expect(highest).toBe(ceiling - 1)
      expect(lowest).toBe(0)
    },
  )

  it('spreads delays with full jitter', () => {
    // Act
    const delay = retryDelay('throttle', 2, undefined, () => 0.25)

    // Assess
    expect(delay).toBe(500)
  })

  it('honours Retry-After, capped', () => {
    // Act + Assess
    expect(retryDelay('throttle', 1, 3_000, () => 0)).toBe(3_000)
    expect(retryDelay('throttle', 1, 60_000, () => 0)).toBe(20_000)
  })

  it.each([
    ['0', 0],
    ['a past date', 0],
    ['shorter than the backoff', 100],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['NaN', Number.NaN],
    ['negative', -1_000],
  ])('never lets a Retry-After of %s shorten the throttle backoff', (_, retryAfterMs) => {
    // Act
    const delay = retryDelay('throttle', 1, retryAfterMs, () => 0.5)

    // Assess: half of the first 1 s ceiling, as without Retry-After
    expect(delay).toBe(500)
  })

  it('keeps every delay a whole number between the backoff and the cap, whatever Retry-After says', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('throttle', 'transient') as fc.Arbitrary<'throttle' | 'transient'>,
        fc.integer({ min: 1, max: 60 }),
        fc.option(fc.oneof(fc.double(), fc.integer(), fc.constant(Number.MAX_VALUE)), { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (kind, failures, retryAfterMs, random) => {
          // Act
          const delay = retryDelay(kind, failures, retryAfterMs, () => random)

          // Assess
          const backoff = retryDelay(kind, failures, undefined, () => random)
          expect(Number.isSafeInteger(delay)).toBe(true)
          expect(delay).toBeGreaterThanOrEqual(backoff)
          expect(delay).toBeLessThanOrEqual(20_000)
        },
      ),
      { numRuns: 2000 },
    )
  })
})
