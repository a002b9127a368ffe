/**
 * What a caller asks to publish: one message, or `{"messages": [...]}`. A batch is checked whole
 * before anything is sent: one bad item refuses the batch, with each problem's pointer naming its item.
 */
import { type ErrorDetail, ForbiddenError, InvalidRequestError, PayloadTooLargeError } from '../errors.js'
import { type PubParameters, type PubSettings, toPubParameters } from '../iot/pub-parameters.js'
import { type Confinement, findConfinementProblems } from '../security/confinement.js'
import { findShapeProblems } from './json-shape.js'
import type { PublishMessage } from './schema.js'
import { findMessageProblems } from './validate.js'

/** Validated Pub calls, and whether the caller sent them as one message or as a batch. */
export interface PublishRequest {
  form: 'single' | 'batch'
  parameters: PubParameters[]
}

/** What shapes a request besides the message rules. */
export interface PublishRequestSettings extends PubSettings, Confinement {
  /** Most messages in one batch: `MAX_BATCH_SIZE`. */
  maxBatchSize: number
}

/**
 * Reads, validates and confines a request, all or nothing.
 * @throws InvalidRequestError naming every bad field, e.g. `/messages/3/qos`
 * @throws PayloadTooLargeError when any payload exceeds the limit
 * @throws ForbiddenError when a product or topic is outside what the operator allows
 */
export function readPublishRequest(body: unknown, settings: PublishRequestSettings): PublishRequest {
  const shapeProblems = findShapeProblems(body)
  if (shapeProblems.length > 0)
    throw new InvalidRequestError('The request is not acceptable JSON', shapeProblems)
  const request = readForm(body, settings)
  // No list configured allows everything: there is nothing to look for.
  if (settings.allowedProductKeys === undefined && settings.allowedTopics === undefined) return request
  const at = (index: number) => (request.form === 'batch' ? `/messages/${index}` : '')
  const forbidden = request.parameters.flatMap((parameters, index) =>
    findConfinementProblems(parameters, settings, at(index)),
  )
  if (forbidden.length > 0)
    throw new ForbiddenError('This gateway may not publish there; nothing was sent', forbidden)
  return request
}

function readForm(body: unknown, settings: PublishRequestSettings): PublishRequest {
  if (Array.isArray(body)) {
    throw new InvalidRequestError('A batch is an object: send {"messages": [...]}, not a bare array', [
      { pointer: '', message: 'must be one message, or a batch written as {"messages": [...]}' },
    ])
  }
  if (!isBatch(body)) return { form: 'single', parameters: toParameters([body], '', settings) }
  const envelopeProblems = batchEnvelopeProblems(body, settings.maxBatchSize)
  if (envelopeProblems.length > 0)
    throw new InvalidRequestError('The batch is not valid; nothing was sent', envelopeProblems)
  return { form: 'batch', parameters: toParameters(body.messages as unknown[], '/messages', settings) }
}

// An object with `messages` is a batch: a single message may not have that field anyway.
function isBatch(body: unknown): body is { messages: unknown } {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'messages')
}

function batchEnvelopeProblems(body: { messages: unknown }, maxBatchSize: number): ErrorDetail[] {
  const extra = Object.keys(body)
    .filter((key) => key !== 'messages')
    .map((key) => ({ pointer: `/${key}`, message: 'is not a known field' }))
  const { messages } = body
  if (!Array.isArray(messages))
    return [...extra, { pointer: '/messages', message: 'must be an array of messages' }]
  if (messages.length === 0)
    return [...extra, { pointer: '/messages', message: 'must hold at least one message' }]
  if (messages.length > maxBatchSize) {
    return [
      ...extra,
      {
        pointer: '/messages',
        message: `holds ${messages.length} messages; at most ${maxBatchSize} (MAX_BATCH_SIZE)`,
      },
    ]
  }
  return extra
}

function toParameters(messages: unknown[], prefix: string, settings: PubSettings): PubParameters[] {
  const at = (index: number) => (prefix === '' ? '' : `${prefix}/${index}`)
  const problems: ErrorDetail[] = []
  messages.forEach((message, index) => {
    for (const problem of findMessageProblems(message)) {
      problems.push({ ...problem, pointer: `${at(index)}${problem.pointer}` })
    }
  })
  if (problems.length > 0) {
    const what = prefix === '' ? 'The message is not valid' : 'The batch is not valid; nothing was sent'
    throw new InvalidRequestError(what, problems)
  }
  const tooLarge: ErrorDetail[] = []
  const parameters = (messages as PublishMessage[]).map((message, index) => {
    try {
      return toPubParameters(message, settings)
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError)) throw error
      tooLarge.push(
        ...error.details.map((detail) => ({ ...detail, pointer: `${at(index)}${detail.pointer}` })),
      )
      return {}
    }
  })
  if (tooLarge.length > 0) {
    throw new PayloadTooLargeError(
      `A payload exceeds ${settings.maxPayloadBytes} bytes; nothing was sent`,
      tooLarge,
    )
  }
  return parameters
}
