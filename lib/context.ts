/** The context the gateway's handler sees: FC's, plus what the middleware prepared for this invocation. */
import type { GatewayConfig } from './config.js'
import type { FcContext } from './fc/types.js'
import type { InvocationIdempotency } from './idempotency/invocation.js'
import type { Publisher } from './iot/publisher.js'

/** FC's context once `iotPublisher` has run. */
export interface GatewayContext extends FcContext {
  config: GatewayConfig
  publisher: Publisher
  /** Placed by the `idempotency` middleware. */
  idempotency: InvocationIdempotency
}
