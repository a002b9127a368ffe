/**
 * Middleware that gives each invocation its idempotency (see `lib/idempotency/`): keyed messages are
 * published at most once. Comes after `pubRetry`, so that a message's retries all happen under one claim.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import type { GatewayConfig } from '../config.js'
import type { GatewayContext } from '../context.js'
import { createInvocationIdempotency } from '../idempotency/invocation.js'
import { MemoryIdempotencyStore } from '../idempotency/memory-store.js'
import { RedisIdempotencyStore } from '../idempotency/redis-store.js'
import type { IdempotencyStore } from '../idempotency/store.js'
import type { Logger } from '../log.js'
import { instanceRedisConnection } from '../redis/connection.js'

/** Options of `idempotency`. */
export interface IdempotencyOptions {
  logger: Logger
  /** Makes the instance's store of records. @default Redis with `REDIS_URL`, else this instance's memory */
  createStore?: (config: GatewayConfig) => IdempotencyStore
  /** The clock, in epoch milliseconds. @default Date.now */
  now?: () => number
}

// FC's own default when a context carries no timeout.
const DEFAULT_TIMEOUT_SECONDS = 3

/**
 * Places `idempotency` on the context before the handler runs.
 * @example middy().use(pubRetry({ logger })).use(idempotency({ logger }))
 */
export function idempotency(
  options: IdempotencyOptions,
): MiddlewareObj<unknown, unknown, Error, GatewayContext> {
  const { logger, now = Date.now } = options
  const createStore = options.createStore ?? ((config: GatewayConfig) => defaultStore(config, logger))
  let store: IdempotencyStore | undefined

  const idempotencyBefore = (request: Request<unknown, unknown, Error, GatewayContext>) => {
    const { context } = request
    store ??= createStore(context.config)
    const timeoutSeconds = context.function?.timeout || DEFAULT_TIMEOUT_SECONDS
    context.idempotency = createInvocationIdempotency({
      store,
      recordTtlMs: context.config.idempotencyTtlSeconds * 1_000,
      // FC ends the invocation then: a claim that outlives it would only block retries of a killed one.
      invocationEnd: now() + timeoutSeconds * 1_000,
      logger,
      requestId: context.requestId,
      now,
      scopeByApiKey: context.config.gatewayAuth === 'api-key',
    })
  }

  return { before: idempotencyBefore }
}

// The connection is the instance's one, shared with the rate limiter; memory when there is no Redis.
function defaultStore(config: GatewayConfig, logger: Logger): IdempotencyStore {
  const connection = instanceRedisConnection(config, logger)
  return connection === undefined ? new MemoryIdempotencyStore() : new RedisIdempotencyStore(connection)
}
