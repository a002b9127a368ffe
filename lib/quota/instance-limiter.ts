/**
 * Chooses the instance's rate limiter from its settings: with `REDIS_URL`, the fleet's shared schedule,
 * with the instance's own limiter as fallback for outages; without, the instance's own limiter alone.
 */
import type { GatewayConfig } from '../config.js'
import type { Logger } from '../log.js'
import { instanceRedisConnection } from '../redis/connection.js'
import { AdaptiveRateLimiter } from './adaptive-rate-limiter.js'
import type { PubRateLimiter } from './pub-rate-limiter.js'
import { SharedRateLimiter } from './shared-rate-limiter.js'

/**
 * The limiter for this instance's Pub calls.
 * @example const limiter = createPubRateLimiter(context.config, logger)
 */
export function createPubRateLimiter(config: GatewayConfig, logger: Logger): PubRateLimiter {
  // Alone, or during an outage, an instance cannot know its share of the budget: it starts low and
  // learns from throttles.
  const own = new AdaptiveRateLimiter({ limitQps: config.pubQpsLimit })
  const connection = instanceRedisConnection(config, logger)
  if (connection === undefined) return own
  return new SharedRateLimiter({ connection, limitQps: config.pubQpsLimit, fallback: own })
}
