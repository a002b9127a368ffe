/**
 * Middleware that authenticates HTTP callers before anything else is done for them. Direct
 * invocations and event triggers are authenticated by FC itself (RAM), so they pass; that includes an
 * InvokeFunction call FC hands over in the HTTP shape, which `recognizeInbound` has already made a
 * direct invocation on the strength of FC's own `requestContext.domainName` alone.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import type { GatewayContext } from '../context.js'
import { ConfigurationError, UnauthorizedError } from '../errors.js'
import type { Logger } from '../log.js'
import { checkBearerKey } from '../security/api-keys.js'
import { headerValue } from '../triggers/http.js'
import type { Inbound } from '../triggers/inbound.js'

/**
 * Refuses HTTP requests without a valid API key when `GATEWAY_AUTH=api-key` (the default).
 * @example middy().use(gatewayConfig()).use(callerAuth({ logger }))
 */
export function callerAuth({
  logger,
}: {
  logger: Logger
}): MiddlewareObj<Inbound, unknown, Error, GatewayContext> {
  const callerAuthBefore = (request: Request<Inbound, unknown, Error, GatewayContext>) => {
    const { event, context } = request
    if (event.kind !== 'http' || context.config.gatewayAuth === 'none') return
    const { apiKeys } = context.config
    if (apiKeys.length === 0) {
      // Closed, not open: with no key configured no HTTP caller gets in.
      throw new ConfigurationError(
        'No API key is configured: set GATEWAY_API_KEYS, or GATEWAY_AUTH=none where the trigger authenticates callers',
      )
    }
    const check = checkBearerKey(headerValue(event.event, 'authorization'), apiKeys)
    if (check === 'accepted') return
    logger.warn('unauthorized', {
      requestId: context.requestId,
      reason: check,
      sourceIp: event.event.requestContext.http.sourceIp,
    })
    throw new UnauthorizedError(
      check === 'missing' ? 'Send an API key as Authorization: Bearer <key>' : 'The API key is not valid',
    )
  }

  return { before: callerAuthBefore }
}
