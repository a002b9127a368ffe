/**
 * Middleware that prepares each invocation's link to IoT Platform: the configuration (read once per
 * instance), this invocation's credentials, and a publisher placed on the context.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import { credentialsFor, type GatewayConfig, loadConfig } from '../config.js'
import type { GatewayContext } from '../context.js'
import { createIotPublisher, type IotPublisherOptions, type Publisher } from '../iot/publisher.js'
import type { Logger } from '../log.js'

/** Options of `iotPublisher`. */
export interface IotPublisherMiddlewareOptions {
  logger: Logger
  /** Where settings come from. @default process.env */
  env?: Record<string, string | undefined>
  /** Makes the publisher; tests may hand their own. @default createIotPublisher */
  createPublisher?: (options: IotPublisherOptions) => Publisher
}

/**
 * Places `config` and `publisher` on the context before the handler runs.
 * @example middy().use(iotPublisher({ logger }))
 */
export function iotPublisher(
  options: IotPublisherMiddlewareOptions,
): MiddlewareObj<unknown, unknown, Error, GatewayContext> {
  const { logger, env = process.env, createPublisher = createIotPublisher } = options
  let config: GatewayConfig | undefined

  const iotPublisherBefore = (request: Request<unknown, unknown, Error, GatewayContext>) => {
    // A bad setting is not cached: each invocation reports it until the operator fixes it.
    config ??= loadConfig(env)
    const credentials = credentialsFor(request.context, config)
    logger.addSecret(credentials.accessKeySecret)
    logger.addSecret(credentials.securityToken)
    request.context.config = config
    request.context.publisher = createPublisher({
      endpoint: config.iotEndpoint,
      credentials,
      timeoutMs: config.pubTimeoutMs,
    })
  }

  return { before: iotPublisherBefore }
}
