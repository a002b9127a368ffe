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
  } catch {
    const problem = source.trim() === '' ? 'is empty; send a JSON message' : 'is not valid JSON'
    return { ok: false, error: new InvalidRequestError(`${what} ${problem}`) }
  }
  if (carriesMessages(value)) keepCallersNumbers(source, value)
  return { ok: true, value }
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
