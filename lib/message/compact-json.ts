/**
 * The text a device receives for a payload that is not a string: compact JSON whose numbers are the
 * caller's own text. JSON.parse turns every number into a double, so `12345678901234567890` would
 * arrive as `12345678901234567000`, `1e400` as `null` and `1.50` as `1.5`. The parsed value still
 * decides everything else (validation, key order, the last of repeated keys); only a text holding a
 * number that a double cannot give back is parsed a second time, by lossless-json, whose numbers keep
 * their text. Most requests hold none, and pay one regular expression test.
 */
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json'
import { InvalidRequestError } from '../errors.js'

// Where a number may not survive a double: a fraction or an exponent, 16 digits or more, a minus zero.
// It also matches inside strings (dates, addresses): such texts are then tokenised to be sure.
const MAY_ALTER = /\d[.eE]|\d{16}|-0/
// The strings and numbers of a valid JSON text, in order; a string is skipped whole.
const TOKENS = /"[^"\\]*(?:\\.[^"\\]*)*"|-?\d[\d.eE+-]*/g
// Numbers a double always gives back as written: up to 15 digits, in the fixed notation JavaScript
// prints from 1e-6 up, without trailing zeros of a fraction, and not -0.
const PLAIN_NUMBER = /^(?:-?[1-9]\d{0,14}|0|-?(?:[1-9]\d{0,7}|0)\.\d{0,5}[1-9])$/
const QUOTE = 0x22

// The payload as lossless-json parsed it, for each message object whose text held an altered number.
const exactPayloads = new WeakMap<object, unknown>()
// Marks messages whose exact payload could not be read (lossless-json's parser recurses: thousands of
// levels of nesting elsewhere in the text overflow its stack).
const UNKNOWN = Symbol('exact payload unknown')

/**
 * Keeps the caller's text of every number in the payloads of `value`, which JSON.parse made from
 * `text`; `compactPayload` then writes those payloads with it.
 * @param text - the JSON text exactly as the caller sent it
 * @param value - what JSON.parse made of `text`
 */
export function keepCallersNumbers(text: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || !MAY_ALTER.test(text) || !holdsAlteredNumber(text))
    return
  let exact: unknown
  try {
    // A repeated key keeps its last value, as JSON.parse does.
    exact = parseLossless(text, undefined, { onDuplicateKey: ({ newValue }) => newValue })
  } catch {
    exact = UNKNOWN
  }
  pairPayloads(value, exact)
}

/**
 * The compact JSON of a message's payload: no whitespace between tokens, members in the order
 * JavaScript keeps them, strings escaped as JSON.stringify does, numbers as the caller wrote them.
 * @throws InvalidRequestError when the payload's exact numbers could not be read
 * @example compactPayload(JSON.parse('{"payload": {"id": 12345678901234567890}}')) // after keepCallersNumbers: '{"id":12345678901234567890}'
 */
export function compactPayload(message: { payload?: unknown }): string {
  const exact = exactPayloads.get(message)
  if (exact === undefined) return JSON.stringify(message.payload)
  if (exact === UNKNOWN) {
    throw new InvalidRequestError('The payload’s numbers cannot be forwarded exactly', [
      { pointer: '/payload', message: 'is inside JSON nested too deeply to keep its numbers exactly' },
    ])
  }
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

// Walks both parses side by side (they have the same shape) and files each message's exact payload.
function pairPayloads(value: object, exact: unknown): void {
  const stack: { plain: unknown; exact: unknown }[] = [{ plain: value, exact }]
  while (stack.length > 0) {
    const pair = stack.pop() as { plain: unknown; exact: unknown }
    const { plain } = pair
    if (typeof plain !== 'object' || plain === null) continue
    const twin = pair.exact as Record<string, unknown> | typeof UNKNOWN
    if (!Array.isArray(plain) && Object.hasOwn(plain, 'payload'))
      exactPayloads.set(plain, twin === UNKNOWN ? UNKNOWN : twin.payload)
    for (const key of Object.keys(plain)) {
      stack.push({
        plain: (plain as Record<string, unknown>)[key],
        exact: twin === UNKNOWN ? UNKNOWN : twin[key],
      })
    }
  }
}
