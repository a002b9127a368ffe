/**
 * Recognises what invoked the function. FC hands every trigger's event to the same handler as a
 * Buffer; its JSON shape tells an HTTP trigger, a timer, EventBridge and a direct invocation apart.
 */
import type { FcHttpEvent } from '../fc/types.js'
import { isCloudEvent, isCloudEventBatch } from './eventbridge.js'
import { isHttpEvent, readHttpBody } from './http.js'
import { type InvocationOrigin, isInvokeApiEvent, readInvokeApiPayload } from './invoke-api.js'
import { type ParsedJson, tryParseJson } from './json.js'
import { type FcTimerEvent, isTimerEvent, readTimerPayload } from './timer.js'

/** A decoded invocation: which trigger, and what it carries. */
export type Inbound =
  | { kind: 'http'; event: FcHttpEvent }
  | { kind: 'timer'; event: FcTimerEvent }
  | { kind: 'eventbridge'; events: unknown[] }
  | { kind: 'direct'; payload: ParsedJson }

/** The kinds of trigger, as logs name them. */
export type TriggerKind = Inbound['kind']

/**
 * Decodes FC's raw event without throwing: text that is not JSON is a direct invocation whose payload
 * will be reported as malformed.
 * @param raw - what FC passed: a Buffer, or already-parsed JSON when a tool calls the handler
 * @param origin - the account and region of FC's context, which tell FC's invoke API from a trigger URL
 */
export function recognizeInbound(raw: unknown, origin?: InvocationOrigin): Inbound {
  const payload: ParsedJson =
    Buffer.isBuffer(raw) || typeof raw === 'string'
      ? tryParseJson(raw, 'The invocation payload', (value) => !isHttpEvent(value))
      : { ok: true, value: raw }
  if (payload.ok && isHttpEvent(payload.value)) {
    // An InvokeFunction call FC delivered in the HTTP shape is the direct invocation it wraps (see
    // invoke-api.ts): its body is recognised as FC's raw event would be, so that a timer's or an
    // EventBridge source's call in this shape keeps its own rules (a batch that fails is redelivered).
    if (isInvokeApiEvent(payload.value, origin))
      return recognizeInvocation(readInvokeApiPayload(payload.value))
    return { kind: 'http', event: payload.value }
  }
  return recognizeInvocation(payload)
}

// Every shape but the HTTP trigger's: an HTTP event inside an invoke call's body is only a payload.
function recognizeInvocation(payload: ParsedJson): Inbound {
  if (!payload.ok) return { kind: 'direct', payload }
  const { value } = payload
  if (isTimerEvent(value)) return { kind: 'timer', event: value }
  if (isCloudEventBatch(value)) return { kind: 'eventbridge', events: value }
  if (isCloudEvent(value)) return { kind: 'eventbridge', events: [value] }
  return { kind: 'direct', payload }
}

/**
 * The JSON the caller sent, for every trigger but EventBridge (whose events are read one by one).
 * @throws InvalidRequestError or MethodNotAllowedError as the trigger's rules say
 */
export function readInboundBody(
  inbound: Exclude<Inbound, { kind: 'eventbridge' }>,
  maxBodyBytes: number,
): unknown {
  switch (inbound.kind) {
    case 'http':
      return readHttpBody(inbound.event, maxBodyBytes)
    case 'timer':
      return readTimerPayload(inbound.event)
    case 'direct':
      if (!inbound.payload.ok) throw inbound.payload.error
      return inbound.payload.value
  }
}
