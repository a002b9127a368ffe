/**
 * Middleware that owns retries: it wraps the invocation's publisher (placed by `iotPublisher`) so
 * that only the Pub call is repeated, never validation, and never past the function's timeout.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import type { GatewayConfig } from '../config.js'
import type { GatewayContext } from '../context.js'
import type { Logger } from '../log.js'
import { createPubRateLimiter } from '../quota/instance-limiter.js'
import type { PubRateLimiter } from '../quota/pub-rate-limiter.js'
import { RetryQuota } from '../retry/retry-quota.js'
import { createRetryingPublisher } from '../retry/retrying-publisher.js'

/** Options of `pubRetry`. */
export interface PubRetryOptions {
  logger: Logger
  /** Makes the instance's rate limiter. @default the fleet's shared one with REDIS_URL, else the instance's own */
  createLimiter?: (config: GatewayConfig) => PubRateLimiter
  /** The instance's retry budget. @default a RetryQuota of 500 tokens */
  quota?: RetryQuota
}

// FC's own default when a context carries no timeout.
const DEFAULT_TIMEOUT_SECONDS = 3

/**
 * Must come after `iotPublisher`, whose publisher it wraps.
 * @example middy().use(iotPublisher({ logger })).use(pubRetry({ logger }))
 */
export function pubRetry(options: PubRetryOptions): MiddlewareObj<unknown, unknown, Error, GatewayContext> {
  const { logger, createLimiter = (config) => createPubRateLimiter(config, logger) } = options
  const quota = options.quota ?? new RetryQuota()
  let limiter: PubRateLimiter | undefined

  const pubRetryBefore = (request: Request<unknown, unknown, Error, GatewayContext>) => {
    const { context } = request
    limiter ??= createLimiter(context.config)
    const timeoutSeconds = context.function?.timeout || DEFAULT_TIMEOUT_SECONDS
    context.publisher = createRetryingPublisher(context.publisher, {
      limiter,
      quota,
      logger,
      deadline: Date.now() + timeoutSeconds * 1_000 - context.config.deadlineMarginMs,
      pubTimeoutMs: context.config.pubTimeoutMs,
      maybeSentRetries: context.config.pubMaybeSentRetries,
      requestId: context.requestId,
    })
  }

  return { before: pubRetryBefore }
}
