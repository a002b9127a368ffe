/**
 * Which idempotency key each message of an invocation has, and the fingerprint it is compared by:
 * the `Idempotency-Key` header (HTTP), a message's own `idempotencyKey`, or a CloudEvent's `source`
 * and `id`. Keys are hashed with the caller's scope into a bounded store key, whatever they hold.
 */
import { createHash } from 'node:crypto'
import { InvalidRequestError } from '../errors.js'
import type { FcHttpEvent } from '../fc/types.js'
import type { PubParameters } from '../iot/pub-parameters.js'
import type { PublishRequest } from '../message/publish-request.js'
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../message/schema.js'
import { headerValue } from '../triggers/http.js'

/** How one message is known to the idempotency store. */
export interface MessageIdentity {
  /** The store's key: a hash of the scope and the caller's key, so its length and characters are fixed. */
  storageKey: string
  /** Hash of the normalized message, or of the whole request when one key covers a request. */
  fingerprint: string
  /** Names the key in answers without repeating it, e.g. "The idempotencyKey of /messages/2". */
  label: string
}

/** Where an invocation's keys come from. */
export interface KeySources {
  /** Who asks: the same key from two callers names two records. */
  scope: string
  /** The `Idempotency-Key` header as sent, for HTTP. */
  header?: string
  /** The CloudEvent the messages came in. */
  event?: { source: string; id?: unknown }
}

const STORAGE_PREFIX = 'iot-pub:idempotency:'
// What an HTTP header can carry (RFC 9110 field values without obs-text), also the rule for the field.
const PRINTABLE_ASCII = /^[\x20-\x7E]+$/
// The draft writes the key as a Structured Field string: a quoted string with \" and \\ escapes.
const SF_STRING = /^"((?:[^"\\]|\\["\\])*)"$/

/** The scope of direct, timer and EventBridge invocations: FC has authenticated them as the account's. */
export const ACCOUNT_SCOPE = 'account'

/**
 * The key sources of an HTTP request: its `Idempotency-Key` header, scoped to the API key presented,
 * so that one caller can neither replay nor block another's keys.
 * @param byApiKey - whether the gateway checked a Bearer API key (`GATEWAY_AUTH=api-key`); otherwise
 * the header holds what FC checked (a signature, a JWT that is renewed), which names no stable caller
 */
export function httpKeySources(event: FcHttpEvent, byApiKey: boolean): KeySources {
  const bearer = byApiKey ? headerValue(event, 'authorization') : undefined
  const apiKey = /^Bearer\s+(\S+)\s*$/i.exec(bearer ?? '')?.[1]
  return {
    scope: apiKey === undefined ? 'http' : `api-key:${apiKey}`,
    header: headerValue(event, 'idempotency-key'),
  }
}

/**
 * The identity of each message of a validated request, in request order; undefined for a message
 * without a key.
 * @param body - the JSON the request was read from, for the messages' own `idempotencyKey`
 * @throws InvalidRequestError when the header is malformed, or given together with message keys
 */
export function messageIdentities(
  sources: KeySources,
  body: unknown,
  request: PublishRequest,
): (MessageIdentity | undefined)[] {
  const own = ownKeys(body, request.parameters.length)
  const pointer = (index: number) => (request.form === 'batch' ? `/messages/${index}` : '')
  const at = (index: number) => (request.form === 'batch' ? ` of ${pointer(index)}` : '')
  if (sources.header !== undefined) {
    const header = readHeaderKey(sources.header)
    const both = own.findIndex((key) => key !== undefined)
    if (both >= 0) {
      throw new InvalidRequestError('Give either the Idempotency-Key header or idempotencyKey fields', [
        { pointer: `${pointer(both)}/idempotencyKey`, message: 'is not allowed with the header' },
      ])
    }
    // One key covers the whole request: each message's record compares the whole request's fingerprint.
    const fingerprint = fingerprintOf([request.form, ...request.parameters])
    return request.parameters.map((_, index) => ({
      storageKey: storageKey([sources.scope, 'header', header, index]),
      fingerprint,
      label: `The Idempotency-Key${at(index)}`,
    }))
  }
  const { event } = sources
  // Hashed once, and only when a CloudEvent names the messages: most requests carry no key at all.
  let eventFingerprint: string | undefined
  const fingerprintOfEvent = () => {
    eventFingerprint ??= fingerprintOf([request.form, ...request.parameters])
    return eventFingerprint
  }
  return request.parameters.map((parameters, index) => {
    const key = own[index]
    if (key !== undefined) {
      return {
        storageKey: storageKey([sources.scope, 'message', key]),
        fingerprint: fingerprintOf([parameters]),
        label: `The idempotencyKey${at(index)}`,
      }
    }
    if (event === undefined || typeof event.id !== 'string' || event.id === '') return undefined
    return {
      storageKey: storageKey([sources.scope, 'event', event.source, event.id, index]),
      fingerprint: fingerprintOfEvent(),
      label: `CloudEvent ${event.id}${at(index)}`,
    }
  })
}

/**
 * The key an `Idempotency-Key` header holds: a Structured Field string or a bare value.
 * @throws InvalidRequestError unless it is 1 to 255 printable ASCII characters
 */
export function readHeaderKey(value: string): string {
  const quoted = SF_STRING.exec(value.trim())
  const key = quoted ? (quoted[1] ?? '').replace(/\\(["\\])/g, '$1') : value.trim()
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !PRINTABLE_ASCII.test(key)) {
    throw new InvalidRequestError(
      `The Idempotency-Key header must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`,
    )
  }
  return key
}

/**
 * The hash of normalized messages: their Pub parameters, which already compose the topic and encode
 * the payload, in a fixed order, so that two spellings of one message have one fingerprint.
 */
export function fingerprintOf(parts: (string | PubParameters)[]): string {
  const normalized = parts.map((part) =>
    typeof part === 'string' ? part : Object.entries(part).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  )
  return createHash('sha256').update(JSON.stringify(normalized)).digest('base64url')
}

// JSON keeps the parts apart: no choice of key can make two different tuples hash alike.
function storageKey(parts: unknown[]): string {
  return STORAGE_PREFIX + createHash('sha256').update(JSON.stringify(parts)).digest('base64url')
}

// The schema has checked each `idempotencyKey`, so any present one is a bounded printable string.
function ownKeys(body: unknown, count: number): (string | undefined)[] {
  const messages =
    typeof body === 'object' && body !== null && Array.isArray((body as { messages?: unknown }).messages)
      ? ((body as { messages: unknown[] }).messages as unknown[])
      : [body]
  return Array.from({ length: count }, (_, index) => {
    const key = (messages[index] as { idempotencyKey?: unknown } | null)?.idempotencyKey
    return typeof key === 'string' ? key : undefined
  })
}
