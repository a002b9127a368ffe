/** JSON parsing that reports the caller's error rather than a SyntaxError. */
import { isUtf8 } from 'node:buffer'
import { InvalidRequestError } from '../errors.js'

/** The outcome of parsing text the caller sent. */
export type ParsedJson = { ok: true; value: unknown } | { ok: false; error: InvalidRequestError }

/**
 * Parses UTF-8 JSON text without throwing.
 * @param what - names the text in the error, e.g. "The request body"
 */
export function tryParseJson(text: Buffer | string, what: string): ParsedJson {
  // Invalid UTF-8 is refused rather than silently decoded to U+FFFD.
  if (typeof text !== 'string' && !isUtf8(text)) {
    return { ok: false, error: new InvalidRequestError(`${what} is not valid UTF-8`) }
  }
  const source = typeof text === 'string' ? text : text.toString('utf8')
  if (source.trim() === '') {
    return { ok: false, error: new InvalidRequestError(`${what} is empty; send a JSON message`) }
  }
  try {
    return { ok: true, value: JSON.parse(source) }
  } catch {
    return { ok: false, error: new InvalidRequestError(`${what} is not valid JSON`) }
  }
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
