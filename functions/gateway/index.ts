/**
 * The Function Compute 3.0 entry point (`index.handler`): wiring only, the logic lives in `lib/`.
 * Middleware first, handler last.
 */
import middy from '@middy/core'
import type { GatewayContext } from '../../lib/context.js'
import type { FcContext } from '../../lib/fc/types.js'
import { createLogger } from '../../lib/log.js'
import { callerAuth } from '../../lib/middleware/caller-auth.js'
import { fcTrigger } from '../../lib/middleware/fc-trigger.js'
import { gatewayConfig } from '../../lib/middleware/gateway-config.js'
import { idempotency } from '../../lib/middleware/idempotency.js'
import { iotPublisher } from '../../lib/middleware/iot-publisher.js'
import { pubRetry } from '../../lib/middleware/pub-retry.js'
import { relay } from '../../lib/relay.js'
import type { Inbound } from '../../lib/triggers/inbound.js'

const logger = createLogger()

const gateway = middy<Inbound, unknown, Error, GatewayContext>()
  .use(fcTrigger({ logger }))
  .use(gatewayConfig())
  .use(callerAuth({ logger }))
  .use(iotPublisher({ logger }))
  .use(pubRetry({ logger }))
  .use(idempotency({ logger }))
  .handler(relay)

/**
 * FC calls this with the raw event Buffer, which `fcTrigger` decodes before the handler sees it.
 * @example await handler(Buffer.from(JSON.stringify(message)), context)
 */
export const handler = gateway as unknown as (event: Buffer | string, context: FcContext) => Promise<unknown>
