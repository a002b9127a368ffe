/**
 * The HTTP trigger: from FC's HTTP event to the JSON the caller posted, and from an answer back to
 * FC's HTTP response shape.
 */
import { MethodNotAllowedError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js'
import type { FcHttpEvent, FcHttpResponse } from '../fc/types.js'
import { parseJson } from './json.js'

/** An HTTP trigger event is recognised by `version: "v1"` with `requestContext.http`. */
export function isHttpEvent(value: unknown): value is FcHttpEvent {
  if (typeof value !== 'object' || value === null) return false
  const event = value as Partial<FcHttpEvent>
  return event.version === 'v1' && typeof event.requestContext?.http?.method === 'string'
}

// application/json or a +json type, in UTF-8 (the JSON default) when a charset is named.
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;\s*charset="?utf-8"?\s*)?$/i
// A JSON type whose only fault is its charset, so that the answer can say so.
const JSON_OTHER_CHARSET = /^application\/(?:[\w.+-]+\+)?json\s*;\s*charset="?([^";\s]+)"?\s*$/i

/**
 * The JSON body of a POST, decoded from base64 when FC encoded it; its size is checked before parsing.
 * @throws MethodNotAllowedError for any method but POST
 * @throws UnsupportedMediaTypeError for a content type that is not JSON
 * @throws PayloadTooLargeError for a body over `maxBodyBytes`
 * @throws InvalidRequestError when the body is not JSON
 */
export function readHttpBody(event: FcHttpEvent, maxBodyBytes: number): unknown {
  const method = event.requestContext.http.method.toUpperCase()
  if (method !== 'POST') throw new MethodNotAllowedError(method)
  // A missing content type is taken as JSON: only a declared other type is refused.
  const contentType = headerValue(event, 'content-type')?.trim()
  if (contentType && !JSON_TYPE.test(contentType)) {
    throw new UnsupportedMediaTypeError(contentType, JSON_OTHER_CHARSET.exec(contentType)?.[1])
  }
  // Text FC already decoded from its JSON event is parsed as it is; only base64 needs its bytes checked.
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : (event.body ?? '')
  const bytes = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length
  if (bytes > maxBodyBytes) {
    throw new PayloadTooLargeError(
      `The request body is ${bytes} bytes; at most ${maxBodyBytes} are read (MAX_BODY_BYTES)`,
    )
  }
  return parseJson(body, 'The request body')
}

/**
 * A header's value whatever the case of its name (FC does not normalise it).
 * @example headerValue(event, 'Content-Type')
 */
export function headerValue(event: FcHttpEvent, name: string): string | undefined {
  const { headers } = event
  if (headers === undefined) return undefined
  const wanted = name.toLowerCase()
  // Most callers send lower-case names: looked up directly before any scan.
  if (Object.hasOwn(headers, wanted)) return headers[wanted]
  for (const key of Object.keys(headers)) if (key.toLowerCase() === wanted) return headers[key]
  return undefined
}

/** A JSON answer in FC's HTTP response shape. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers?: Record<string, string>,
): FcHttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  }
}
