/**
 * EventBridge triggers (MNS, RocketMQ, Kafka, RabbitMQ): one CloudEvent or a batch of them, each
 * carrying one message or a batch as JSON in the field its source type uses.
 */
import { InvalidRequestError } from '../errors.js'
import { tryParseJson } from './json.js'

/** The CloudEvent fields the gateway reads. */
export interface CloudEvent {
  id?: string
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

/**
 * EventBridge's batch mode sends an array of CloudEvents. An array is taken as a batch when at least
 * one element is a CloudEvent: its other elements are then bad events, dropped one by one, never a
 * reason to refuse the good ones. A direct invocation cannot be mistaken for one: its body is one
 * message or `{"messages": [...]}`, never an array, so an array without a CloudEvent is refused whole.
 */
export function isCloudEventBatch(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.some(isCloudEvent)
}

/**
 * How logs and errors name an element of a batch: by its `id` when it has one, always by its index.
 * @example eventName({ id: 'e1' }, 0) // 'CloudEvent "e1" (index 0)'
 */
export function eventName(element: unknown, index: number): string {
  const id = eventId(element)
  return id === undefined
    ? `CloudEvent at index ${index}`
    : `CloudEvent ${JSON.stringify(id)} (index ${index})`
}

/** Longest `id` written whole in names, answers and log lines; the source's ids may be of any length. */
export const MAX_SHOWN_ID_LENGTH = 128

/**
 * An element's `id` as names, answers and log lines show it, when it is a string: whole up to
 * `MAX_SHOWN_ID_LENGTH` characters, else its start and its length, so that one event cannot blow up
 * every line that names it.
 * @example eventId({ id: 'e1' }) // 'e1'
 */
export function eventId(element: unknown): string | undefined {
  const id = typeof element === 'object' && element !== null ? (element as { id?: unknown }).id : undefined
  return typeof id === 'string' ? shown(id) : undefined
}

// Text from the source as names show it: whole when short, else its start and its length.
function shown(text: string): string {
  return text.length <= MAX_SHOWN_ID_LENGTH ? text : `${text.slice(0, 64)}…(${text.length} characters)`
}

/**
 * The JSON an element of a batch carries: text is parsed, and text that is not JSON is tried as base64
 * (Kafka's binary format); Kafka's JSON format arrives already parsed.
 * @param index - the element's place in the batch, which names it when it has no id
 * @throws InvalidRequestError naming the element when it is not a CloudEvent, its source type is
 *   unknown or its body is not JSON
 */
export function readCloudEventBody(element: unknown, index: number): unknown {
  if (!isCloudEvent(element)) {
    const id = eventId(element)
    const named = id === undefined ? '' : ` (id ${JSON.stringify(id)})`
    throw new InvalidRequestError(
      `The element at index ${index}${named} is not a CloudEvent: specversion, source and type must be text`,
    )
  }
  const name = eventName(element, index)
  const event = element
  const field = BODY_FIELD[event.type]
  if (field === undefined)
    throw new InvalidRequestError(`${name} has an unsupported type ${JSON.stringify(shown(event.type))}`)
  const data = event.data as Record<string, unknown> | undefined
  const body = data?.[field]
  if (body === undefined || body === null) throw new InvalidRequestError(`${name} has no data.${field}`)
  if (typeof body !== 'string') return body
  const asText = tryParseJson(body, `data.${field}`)
  if (asText.ok) return asText.value
  const decoded = Buffer.from(body, 'base64')
  const asBase64 =
    decoded.toString('base64') === body.replace(/\s/g, '') ? tryParseJson(decoded, `data.${field}`) : asText
  if (asBase64.ok) return asBase64.value
  throw new InvalidRequestError(`${name}: data.${field} is not JSON`)
}
