/**
 * Wraps one invocation's publisher so that each `Pub` call waits for the rate limiter and is repeated
 * after throttling or transient faults, within the retry budget and never past the deadline.
 */
import type { GatewayError } from '../errors.js'
import { ThrottledError, UpstreamTimeoutError } from '../errors.js'
import type { Publisher } from '../iot/publisher.js'
import type { Logger } from '../log.js'
import type { PubRateLimiter } from '../quota/pub-rate-limiter.js'
import { type BackoffOptions, DEFAULT_BACKOFF, retryDelay, retryKindOf } from './policy.js'
import type { RetryQuota } from './retry-quota.js'

/** What the retry loop needs. */
export interface RetryingPublisherOptions {
  limiter: PubRateLimiter
  quota: RetryQuota
  logger: Logger
  /** Epoch milliseconds by which the invocation must have its answer. */
  deadline: number
  /** The configured timeout of one call, shortened near the deadline. */
  pubTimeoutMs: number
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

  return {
    async publish(parameters) {
      let failures = 0
      for (;;) {
        const slot = limiter.acquire(deadline - MIN_CALL_MS)
        if (slot !== true && !(await slot)) {
          throw giveUp(new ThrottledError(undefined), failures, limiter.retryAfterMs ?? 1_000)
        }
        const timeLeft = deadline - now()
        if (timeLeft < MIN_CALL_MS) throw giveUp(new UpstreamTimeoutError('GatewayDeadline'), failures)
        try {
          const result = await inner.publish(parameters, {
            timeoutMs: Math.min(options.pubTimeoutMs, timeLeft),
          })
          limiter.recordSuccess()
          quota.recordSuccess()
          return result
        } catch (error) {
          failures++
          const kind = retryKindOf(error)
          if (kind === undefined) throw error
          const failure = error as GatewayError
          if (kind === 'throttle') limiter.recordThrottle()
          const delay = retryDelay(
            kind,
            failures,
            failure.retryAfterMs,
            random,
            options.backoff ?? DEFAULT_BACKOFF,
          )
          if (now() + delay + MIN_CALL_MS > deadline) throw giveUp(failure, failures, delay)
          if (!quota.tryAcquire(kind)) throw giveUp(failure, failures, delay)
          logger.warn('retry', {
            requestId,
            attempt: failures,
            iotCode: failure.iotCode,
            kind,
            delayMs: delay,
          })
          await new Promise((resolve) => setTimeout(resolve, delay))
        }
      }
    },
  }
}

// The last failure, stamped with how many calls were made and when trying again makes sense.
function giveUp(error: GatewayError, attempts: number, retryAfterMs?: number): GatewayError {
  error.attempts = attempts
  error.retryAfterMs ??= retryAfterMs
  return error
}
