/**
 * The text a device receives for a payload that is not a string: compact JSON whose numbers are the
 * caller's own text. JSON.parse turns every number into a double, so `12345678901234567890` would
 * arrive as `12345678901234567000`, `1e400` as `null` and `1.50` as `1.5`. The parsed value still
 * decides everything else (validation, key order, the last of repeated keys). Only a text holding a
 * number that a double cannot give back is looked at again: the span of each payload in it is noted,
 * and when its message is published, lossless-json parses that span alone, whose numbers keep their
 * text. Most requests hold no such number, and pay one regular expression test.
 */
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json'
import { payloadSpans } from './payload-spans.js'

// Where a number may not survive a double: a fraction or an exponent, 16 digits or more, a minus zero.
// It also matches inside strings (dates, addresses): such texts are then tokenised to be sure.
const MAY_ALTER = /\d[.eE]|\d{16}|-0/
// The strings and numbers of a valid JSON text, in order; a string is skipped whole.
const TOKENS = /"[^"\\]*(?:\\.[^"\\]*)*"|-?\d[\d.eE+-]*/g
// Numbers a double always gives back as written: up to 15 digits, in the fixed notation JavaScript
// prints from 1e-6 up, without trailing zeros of a fraction, and not -0.
const PLAIN_NUMBER = /^(?:-?[1-9]\d{0,14}|0|-?(?:[1-9]\d{0,7}|0)\.\d{0,5}[1-9])$/
const QUOTE = 0x22

// The caller's text of a message's payload, for each message object whose payload holds such a number.
const payloadTexts = new WeakMap<object, string>()

/**
 * Notes the caller's text of each payload in `value` that holds a number a double would alter, so
 * that `compactPayload` writes its numbers as they were written.
 * @param text - the JSON text exactly as the caller sent it
 * @param value - what JSON.parse made of `text`
 */
export function keepCallersNumbers(text: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || !MAY_ALTER.test(text) || !holdsAlteredNumber(text))
    return
  for (const { path, start, end } of payloadSpans(text)) {
    const holder = follow(value, path)
    if (holder === undefined || !Object.hasOwn(holder, 'payload')) continue
    // Spans come in the order written: of repeated keys, the last decides, as in JSON.parse.
    const payload = text.slice(start, end)
    if (holdsAlteredNumber(payload)) payloadTexts.set(holder, payload)
    else payloadTexts.delete(holder)
  }
}

/**
 * The compact JSON of a message's payload: no whitespace between tokens, members in the order
 * JavaScript keeps them, strings escaped as JSON.stringify does, numbers as the caller wrote them.
 * @example compactPayload(JSON.parse('{"payload": {"id": 12345678901234567890}}')) // after keepCallersNumbers: '{"id":12345678901234567890}'
 */
export function compactPayload(message: { payload?: unknown }): string {
  const text = payloadTexts.get(message)
  if (text === undefined) return JSON.stringify(message.payload)
  // A repeated key keeps its last value, as JSON.parse does.
  const exact = parseLossless(text, undefined, { onDuplicateKey: ({ newValue }) => newValue })
  return stringifyLossless(exact) as string
}

// Whether a valid JSON text holds a number that JSON.stringify(JSON.parse(text)) would write otherwise.
function holdsAlteredNumber(text: string): boolean {
  TOKENS.lastIndex = 0
  for (let match = TOKENS.exec(text); match !== null; match = TOKENS.exec(text)) {
    const token = match[0]
    if (token.charCodeAt(0) === QUOTE || PLAIN_NUMBER.test(token)) continue
    if (String(Number(token)) !== token) return true
  }
  return false
}

// The object at `path` in a parsed value, when there is one.
function follow(value: object, path: (string | number)[]): object | undefined {
  let at: unknown = value
  for (const step of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, step)) return undefined
    at = (at as Record<string | number, unknown>)[step]
  }
  return typeof at === 'object' && at !== null && !Array.isArray(at) ? at : undefined
}
