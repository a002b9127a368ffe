/** JSON parsing that reports the caller's error rather than a SyntaxError. */
import { isUtf8 } from 'node:buffer'
import { InvalidRequestError } from '../errors.js'
import { keepCallersNumbers } from '../message/compact-json.js'

/** The outcome of parsing text the caller sent. */
export type ParsedJson = { ok: true; value: unknown } | { ok: false; error: InvalidRequestError }

/**
 * Parses UTF-8 JSON text without throwing, keeping the caller's text of the numbers in its payloads.
 * @param what - names the text in the error, e.g. "The request body"
 * @param carriesMessages - whether messages in this value are published (an HTTP event's are not: they
 *   are in its body, parsed on their own)
 */
export function tryParseJson(
  text: Buffer | string,
  what: string,
  carriesMessages: (value: unknown) => boolean = () => true,
): ParsedJson {
  const source = typeof text === 'string' ? text : text.toString('utf8')
  // Invalid UTF-8 is refused rather than silently decoded to U+FFFD; only text holding one needs the exact check.
  if (typeof text !== 'string' && source.includes('\uFFFD') && !isUtf8(text)) {
    return { ok: false, error: new InvalidRequestError(`${what} is not valid UTF-8`) }
  }
  let value: unknown
  try {
    value = JSON.parse(source)
  } catch (error) {
    const problem =
      source.trim() === ''
        ? 'is empty; send a JSON message'
        : `is not valid JSON: ${whereInvalid(source, error)}`
    return { ok: false, error: new InvalidRequestError(`${what} ${problem}`) }
  }
  if (carriesMessages(value)) keepCallersNumbers(source, value)
  return { ok: true, value }
}

// Texts up to this size are searched for the place of an error V8 does not locate.
const LOCATED_BYTES = 1 << 20

/**
 * Where and why JSON text failed to parse, from V8's SyntaxError: "at line 2, column 18 (offset 38):
 * expected ',' or '}' after property value". The text itself is never quoted back.
 */
export function whereInvalid(source: string, error: unknown): string {
  const message = error instanceof Error ? error.message : ''
  // V8 names what it expected or met before " in JSON"; for an unexpected token it quotes the text instead.
  const reason = /^(.*?)(?: in JSON| after JSON|, ".*" is not valid JSON|$)/s.exec(message)?.[1]?.trim() ?? ''
  const why =
    reason && !reason.includes('"') && !/end of JSON input/.test(reason)
      ? `: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`
      : ''
  const given = /at position (\d+)/.exec(message)?.[1]
  const offset = /end of JSON input/.test(message)
    ? source.length
    : given === undefined
      ? firstInvalidOffset(source)
      : Number(given)
  if (offset === undefined) return why ? why.slice(2) : 'it cannot be parsed'
  const before = source.slice(0, offset)
  const line = before.split('\n').length
  const column = offset - before.lastIndexOf('\n')
  const early = offset >= source.trimEnd().length ? 'it ends too early, ' : ''
  return `${early}at line ${line}, column ${column} (offset ${offset})${why}`
}

// Every prefix of a prefix that JSON could still complete can be completed too, so the first offset
// where the text stops being completable is found by bisection.
function firstInvalidOffset(source: string): number | undefined {
  if (source.length > LOCATED_BYTES) return undefined
  const completable = (length: number) => {
    try {
      JSON.parse(source.slice(0, length))
      return true
    } catch (error) {
      // Failing only where the text runs out: at its end, or with no more input.
      const message = error instanceof Error ? error.message : ''
      return /end of JSON input/.test(message) || message.endsWith(`at position ${length}`)
    }
  }
  let good = 0
  let bad = source.length
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2)
    if (completable(middle)) good = middle
    else bad = middle
  }
  return bad - 1
}

/**
 * Parses UTF-8 JSON text.
 * @throws InvalidRequestError when the text is empty or not JSON
 */
export function parseJson(text: Buffer | string, what: string): unknown {
  const parsed = tryParseJson(text, what)
  if (!parsed.ok) throw parsed.error
  return parsed.value
}
