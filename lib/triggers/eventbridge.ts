/**
 * EventBridge triggers (MNS, RocketMQ, Kafka, RabbitMQ): one CloudEvent or a batch of them, each
 * carrying one message or a batch as JSON in the field its source type uses.
 */
import { InvalidRequestError } from '../errors.js'
import { tryParseJson } from './json.js'

/** The CloudEvent fields the gateway reads. */
export interface CloudEvent {
  id: string
  source: string
  specversion: string
  type: string
  data?: unknown
}

/** Where each source type puts the message body inside `data`. */
const BODY_FIELD: Record<string, string> = {
  'mns:Queue:SendMessage': 'messageBody',
  'mq:Topic:SendMessage': 'body',
  'alikafka:Topic:Message': 'value',
  'amqp:Queue:SendMessage': 'body',
}

/** A CloudEvent is recognised by `specversion`, `source` and `type`. */
export function isCloudEvent(value: unknown): value is CloudEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const event = value as Partial<CloudEvent>
  return (
    typeof event.specversion === 'string' &&
    typeof event.source === 'string' &&
    typeof event.type === 'string'
  )
}

/** EventBridge's batch mode sends a non-empty array of CloudEvents. */
export function isCloudEventBatch(value: unknown): value is CloudEvent[] {
  return Array.isArray(value) && value.length > 0 && value.every(isCloudEvent)
}

/**
 * The JSON a CloudEvent carries: text is parsed, and text that is not JSON is tried as base64 (Kafka's
 * binary format); Kafka's JSON format arrives already parsed.
 * @throws InvalidRequestError naming the event when its source type is unknown or its body is not JSON
 */
export function readCloudEventBody(event: CloudEvent): unknown {
  const field = BODY_FIELD[event.type]
  if (field === undefined)
    throw new InvalidRequestError(`CloudEvent ${event.id} has an unsupported type "${event.type}"`)
  const data = event.data as Record<string, unknown> | undefined
  const body = data?.[field]
  if (body === undefined || body === null)
    throw new InvalidRequestError(`CloudEvent ${event.id} has no data.${field}`)
  if (typeof body !== 'string') return body
  const asText = tryParseJson(body, `data.${field}`)
  if (asText.ok) return asText.value
  const decoded = Buffer.from(body, 'base64')
  const asBase64 =
    decoded.toString('base64') === body.replace(/\s/g, '') ? tryParseJson(decoded, `data.${field}`) : asText
  if (asBase64.ok) return asBase64.value
  throw new InvalidRequestError(`CloudEvent ${event.id}: data.${field} is not JSON`)
}
