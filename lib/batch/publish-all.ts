/** Publishes many messages with a bound on calls in flight, keeping each outcome in request order. */
import { type GatewayError, toGatewayError } from '../errors.js'
import type { PubParameters } from '../iot/pub-parameters.js'
import type { Publisher, PublishResult } from '../iot/publisher.js'

/** One message's outcome. */
export type Settled = { ok: true; result: PublishResult } | { ok: false; error: GatewayError }

/**
 * Publishes every message, at most `concurrency` at a time; never rejects.
 * @example const outcomes = await publishAll(parameters, publisher, 16)
 */
export async function publishAll(
  parameters: PubParameters[],
  publisher: Publisher,
  concurrency: number,
): Promise<Settled[]> {
  const outcomes: Settled[] = new Array(parameters.length)
  let next = 0
  // Each worker takes the next message until none is left: a pool without a dependency.
  const worker = async () => {
    for (let index = next++; index < parameters.length; index = next++) {
      try {
        outcomes[index] = { ok: true, result: await publisher.publish(parameters[index] as PubParameters) }
      } catch (error) {
        outcomes[index] = { ok: false, error: toGatewayError(error) }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, parameters.length) }, worker))
  return outcomes
}
