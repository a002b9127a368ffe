/**
 * The gateway's handler: what an invocation carries, validated, enriched and published. Answers are
 * rendered per trigger by `answers.ts`.
 */
import { publishAll, type Settled } from './batch/publish-all.js'
import type { GatewayContext } from './context.js'
import { type ErrorBody, toGatewayError } from './errors.js'
import type { KeyedRequest } from './idempotency/invocation.js'
import type { PubParameters } from './iot/pub-parameters.js'
import type { PublishResult } from './iot/publisher.js'
import { type PublishRequestSettings, readPublishRequest } from './message/publish-request.js'
import { eventId, isCloudEvent, readCloudEventBody } from './triggers/eventbridge.js'
import { type Inbound, readInboundBody } from './triggers/inbound.js'

/** What was published, in the form the caller used. */
export type RelayOutcome =
  | { form: 'single'; result: PublishResult }
  | { form: 'batch'; outcomes: Settled[] }
  | { form: 'events'; events: EventOutcome[] }

/** What became of one element of an EventBridge batch and its messages. */
export interface EventOutcome {
  /** Its place in the batch, which names it when it has no id. */
  index: number
  /** Its CloudEvent `id`, when it has one. */
  id?: string
  results: PublishResult[]
  /** Failures no retry can cure (poison): logged and dropped. */
  dropped: ErrorBody[]
  /** Failures a redelivery may cure: they fail the invocation. */
  retryable: ErrorBody[]
}

/**
 * Validates everything an invocation carries, then publishes; nothing unvalidated reaches IoT.
 * @throws GatewayError when a single message or a whole batch is refused or fails
 */
export async function relay(inbound: Inbound, context: GatewayContext): Promise<RelayOutcome> {
  // The configuration carries every setting of a publish request.
  const settings: PublishRequestSettings = context.config
  if (inbound.kind === 'eventbridge')
    return { form: 'events', events: await relayEvents(inbound.events, context, settings) }
  const body = readInboundBody(inbound, context.config.maxBodyBytes)
  const request = readPublishRequest(body, settings)
  const publisher = context.idempotency.publisherFor(context.publisher, [{ origin: inbound, body, request }])
  if (request.form === 'single') {
    return { form: 'single', result: await publisher.publish(request.parameters[0] as PubParameters) }
  }
  return {
    form: 'batch',
    outcomes: await publishAll(request.parameters, publisher, context.config.pubConcurrency),
  }
}

// Each element is read on its own: one that is not a CloudEvent, or whose message is poison, is dropped;
// the others are published together.
async function relayEvents(events: unknown[], context: GatewayContext, settings: PublishRequestSettings) {
  const outcomes: EventOutcome[] = events.map((event, index) => ({
    index,
    id: eventId(event),
    results: [],
    dropped: [],
    retryable: [],
  }))
  const calls: { event: number; parameters: PubParameters }[] = []
  const keyed: KeyedRequest[] = []
  events.forEach((event, index) => {
    try {
      const body = readCloudEventBody(event, index)
      const request = readPublishRequest(body, settings)
      // Read without error, so it is a CloudEvent: its source and id key its messages.
      if (isCloudEvent(event)) keyed.push({ origin: event, body, request })
      for (const parameters of request.parameters) calls.push({ event: index, parameters })
    } catch (error) {
      // Only a refusal of the event itself is poison; an unexpected failure is redelivered, never dropped.
      const failure = toGatewayError(error)
      const outcome = outcomes[index]
      outcome?.[failure.retryable ? 'retryable' : 'dropped'].push(failure.toBody())
    }
  })
  // Each event's source and id key its messages: a redelivered batch sends only what was not published.
  const publisher = context.idempotency.publisherFor(context.publisher, keyed)
  const settled = await publishAll(
    calls.map((call) => call.parameters),
    publisher,
    context.config.pubConcurrency,
  )
  settled.forEach((outcome, index) => {
    const event = outcomes[calls[index]?.event ?? -1]
    if (!event) return
    if (outcome.ok) event.results.push(outcome.result)
    else (outcome.error.retryable ? event.retryable : event.dropped).push(outcome.error.toBody())
  })
  return outcomes
}
