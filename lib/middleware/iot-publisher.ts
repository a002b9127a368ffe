/**
 * Middleware that prepares each invocation's link to IoT Platform: this invocation's credentials and a
 * publisher placed on the context. Comes after `gatewayConfig`.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import { credentialsFor } from '../config.js'
import type { GatewayContext } from '../context.js'
import { createIotPublisher, type IotPublisherOptions, type Publisher } from '../iot/publisher.js'
import type { Logger } from '../log.js'

/** Options of `iotPublisher`. */
export interface IotPublisherMiddlewareOptions {
  logger: Logger
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
  const { logger, createPublisher = createIotPublisher } = options

  const iotPublisherBefore = (request: Request<unknown, unknown, Error, GatewayContext>) => {
    const { config } = request.context
    const credentials = credentialsFor(request.context, config)
    logger.addSecret(credentials.accessKeySecret)
    logger.addSecret(credentials.securityToken)
    request.context.publisher = createPublisher({
      endpoint: config.iotEndpoint,
      credentials,
      timeoutMs: config.pubTimeoutMs,
    })
  }

  return { before: iotPublisherBefore }
}
