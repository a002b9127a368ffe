/**
 * Recognises what invoked the function. FC hands every trigger's event to the same handler as a
 * Buffer; its JSON shape tells an HTTP trigger from a direct invocation.
 */
import type { FcHttpEvent } from '../fc/types.js'
import { isHttpEvent, readHttpBody } from './http.js'
import { type ParsedJson, tryParseJson } from './json.js'

/** A decoded invocation: which trigger, and what it carries. */
export type Inbound = { kind: 'http'; event: FcHttpEvent } | { kind: 'direct'; payload: ParsedJson }

/**
 * Decodes FC's raw event without throwing: text that is not JSON is a direct invocation whose payload
 * will be reported as malformed.
 * @param raw - what FC passed: a Buffer, or already-parsed JSON when a tool calls the handler
 */
export function recognizeInbound(raw: unknown): Inbound {
  const payload: ParsedJson =
    Buffer.isBuffer(raw) || typeof raw === 'string'
      ? tryParseJson(raw, 'The invocation payload')
      : { ok: true, value: raw }
  if (payload.ok && isHttpEvent(payload.value)) return { kind: 'http', event: payload.value }
  return { kind: 'direct', payload }
}

/**
 * The JSON the caller sent.
 * @throws InvalidRequestError or MethodNotAllowedError as the trigger's rules say
 */
export function readInboundBody(inbound: Inbound): unknown {
  if (inbound.kind === 'http') return readHttpBody(inbound.event)
  if (!inbound.payload.ok) throw inbound.payload.error
  return inbound.payload.value
}
