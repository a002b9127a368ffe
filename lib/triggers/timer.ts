/** The timer trigger: its `payload` string holds one message or a batch, as JSON text. */
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
 * @throws InvalidRequestError when the payload is missing or not JSON
 */
export function readTimerPayload(event: FcTimerEvent): unknown {
  return parseJson(event.payload ?? '', `The payload of timer trigger "${event.triggerName}"`)
}
