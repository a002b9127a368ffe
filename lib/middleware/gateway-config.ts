/** Middleware that reads the gateway's settings once per instance and places them on the context. */
import type { MiddlewareObj, Request } from '@middy/core'
import { type GatewayConfig, loadConfig } from '../config.js'
import type { GatewayContext } from '../context.js'

/**
 * Places `config` on the context; a bad setting is not cached, so each invocation reports it until
 * the operator fixes it.
 * @param env - where settings come from @default process.env
 * @example middy().use(gatewayConfig())
 */
export function gatewayConfig(
  env: Record<string, string | undefined> = process.env,
): MiddlewareObj<unknown, unknown, Error, GatewayContext> {
  let config: GatewayConfig | undefined

  const gatewayConfigBefore = (request: Request<unknown, unknown, Error, GatewayContext>) => {
    config ??= loadConfig(env)
    request.context.config = config
  }

  return { before: gatewayConfigBefore }
}
