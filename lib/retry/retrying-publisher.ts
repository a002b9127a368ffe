/**
 * Wraps one invocation's publisher so that each `Pub` call waits for the rate limiter and is repeated
 * after throttling or transient faults, within the retry budget and never past the deadline. A call
 * that may have published (it reached IoT and no answer came) is repeated at most `maybeSentRetries`
 * times, since Pub has no idempotency token; and when any call may have published and none succeeded,
 * the answer says so (504) rather than claim nothing was published.
 */
import { GatewayError, ThrottledError, UpstreamTimeoutError, UpstreamUnavailableError } from '../errors.js'
import type { Publisher } from '../iot/publisher.js'
import type { Logger } from '../log.js'
import type { PubRateLimiter, PubSlot } from '../quota/pub-rate-limiter.js'
import { type BackoffOptions, DEFAULT_BACKOFF, retryDelay, retryKindOf } from './policy.js'
import type { RetryQuota } from './retry-quota.js'

/** What the retry loop needs. */
export interface RetryingPublisherOptions {
  limiter: PubRateLimiter
  quota: RetryQuota
  logger: Logger
  /** Epoch milliseconds by which the invocation must have its answer. */
  deadline: number
  /** The configured time limit of one whole call, shortened near the deadline. */
  pubTimeoutMs: number
  /** Most repeats of calls that may have published: `PUB_MAYBE_SENT_RETRIES`. @default 1 */
  maybeSentRetries?: number
  /** Logged with each retry. */
  requestId: string
  backoff?: BackoffOptions
  random?: () => number
  now?: () => number
}

// A call with less time than this left cannot be expected to complete.
const MIN_CALL_MS = 100

/**
 * A publisher that retries within the budget and the deadline.
 * @example createRetryingPublisher(context.publisher, { limiter, quota, logger, deadline, pubTimeoutMs, requestId })
 */
export function createRetryingPublisher(inner: Publisher, options: RetryingPublisherOptions): Publisher {
  const { limiter, quota, logger, deadline, requestId } = options
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random

  const maybeSentRetries = options.maybeSentRetries ?? 1
  const backoff = options.backoff ?? DEFAULT_BACKOFF

  return {
    async publish(parameters) {
      const attempts = { calls: 0, maybeSent: 0 }
      let last: GatewayError | undefined
      for (;;) {
        // Each call names its own slot when throttled: a batch's calls run at once.
        const slot: PubSlot = {}
        const granted = limiter.acquire(deadline - MIN_CALL_MS, slot)
        if (granted !== true && !(await granted)) {
          // After a failed call, that failure is the answer: the limiter's own "no slot" would hide it.
          // The limiter's estimate of a free slot is when trying again makes sense.
          if (last !== undefined)
            throw giveUp(
              last,
              attempts,
              Math.min(limiter.retryAfterMs ?? backoff.throttleBaseMs, backoff.capMs),
            )
          throw giveUp(new ThrottledError(undefined), attempts, limiter.retryAfterMs ?? 1_000)
        }
        const timeLeft = deadline - now()
        if (timeLeft < MIN_CALL_MS)
          throw giveUp(
            last ?? new UpstreamUnavailableError('GatewayDeadline'),
            attempts,
            undefined,
            backoff.capMs,
          )
        try {
          attempts.calls++
          const result = await inner.publish(parameters, {
            timeoutMs: Math.min(options.pubTimeoutMs, timeLeft),
          })
          limiter.recordSuccess()
          quota.recordSuccess()
          return result
        } catch (error) {
          const kind = retryKindOf(error)
          if (kind === undefined) throw giveUp(error, attempts, undefined, backoff.capMs)
          const failure = error as GatewayError
          last = failure
          if (failure.mayHavePublished) attempts.maybeSent++
          if (kind === 'throttle') limiter.recordThrottle(slot)
          const delay = retryDelay(kind, attempts.calls, failure.retryAfterMs, random, backoff)
          if (failure.mayHavePublished && attempts.maybeSent > maybeSentRetries)
            throw giveUp(failure, attempts, delay)
          if (now() + delay + MIN_CALL_MS > deadline) throw giveUp(failure, attempts, delay)
          if (!quota.tryAcquire(kind)) throw giveUp(failure, attempts, delay)
          logger.warn('retry', {
            requestId,
            attempt: attempts.calls,
            iotCode: failure.iotCode,
            kind,
            maybePublished: failure.mayHavePublished === true,
            delayMs: delay,
          })
          await new Promise((resolve) => setTimeout(resolve, delay))
        }
      }
    },
  }
}

/**
 * The final failure, stamped with how many calls were made and when trying again makes sense. Once a
 * call may have published, only IoT's refusal of the message itself may say otherwise: a throttle or
 * an outage afterwards does not undo it.
 */
function giveUp(
  thrown: unknown,
  attempts: { calls: number; maybeSent: number },
  delayMs?: number,
  capMs = DEFAULT_BACKOFF.capMs,
): unknown {
  if (!(thrown instanceof GatewayError)) return thrown
  let error: GatewayError = thrown
  if (attempts.maybeSent > 0 && error.retryable && !(error instanceof UpstreamTimeoutError)) {
    error = new UpstreamTimeoutError(error.iotCode ?? error.code, thrown)
  }
  error.mayHavePublished ||= attempts.maybeSent > 0
  error.attempts = attempts.calls
  // The delay the policy chose is already bounded; IoT's raw Retry-After may not be.
  if (delayMs !== undefined) error.retryAfterMs = delayMs
  else if (error.retryAfterMs !== undefined) error.retryAfterMs = Math.min(error.retryAfterMs, capMs)
  return error
}
