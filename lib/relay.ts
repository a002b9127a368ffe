/** The gateway's handler: one caller's message, validated, enriched and published. */
import type { GatewayContext } from './context.js'
import { toPubParameters } from './iot/pub-parameters.js'
import type { PublishResult } from './iot/publisher.js'
import { readMessage } from './message/validate.js'
import { type Inbound, readInboundBody } from './triggers/inbound.js'

/**
 * Validates the message an invocation carries and publishes it; nothing unvalidated reaches IoT.
 * @throws GatewayError for anything the caller or IoT got wrong
 */
export async function relayMessage(inbound: Inbound, context: GatewayContext): Promise<PublishResult> {
  const message = readMessage(readInboundBody(inbound))
  const parameters = toPubParameters(message, context.config)
  return context.publisher.publish(parameters)
}
