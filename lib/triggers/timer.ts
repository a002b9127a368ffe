/** The timer trigger: its `payload` string holds one message or a batch, as JSON text. */
import { InvalidRequestError } from '../errors.js'
import { parseJson } from './json.js'

/** The event FC gives a function for a timer trigger. */
export interface FcTimerEvent {
  triggerTime: string
  triggerName: string
  payload?: string
}

/** A timer event is recognised by `triggerTime` and `triggerName`. */
export function isTimerEvent(value: unknown): value is FcTimerEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const event = value as Partial<FcTimerEvent>
  return typeof event.triggerTime === 'string' && typeof event.triggerName === 'string'
}

/**
 * The JSON the timer's payload carries: parsed a second time, as FC passes it as a string.
 * @throws InvalidRequestError when the payload is missing, not a string or not JSON
 */
export function readTimerPayload(event: FcTimerEvent): unknown {
  const what = `The payload of timer trigger ${JSON.stringify(event.triggerName)}`
  const payload: unknown = event.payload
  // s.yaml's payload is text; anything else is a mistake no retry will cure.
  if (payload !== undefined && typeof payload !== 'string')
    throw new InvalidRequestError(`${what} must be a string of JSON, not ${describeType(payload)}`)
  return parseJson(payload ?? '', what)
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
