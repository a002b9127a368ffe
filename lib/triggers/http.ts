/**
 * The HTTP trigger: from FC's HTTP event to the JSON the caller posted, and from an answer back to
 * FC's HTTP response shape.
 */
import { MethodNotAllowedError } from '../errors.js'
import type { FcHttpEvent, FcHttpResponse } from '../fc/types.js'
import { parseJson } from './json.js'

/** An HTTP trigger event is recognised by `version: "v1"` with `requestContext.http`. */
export function isHttpEvent(value: unknown): value is FcHttpEvent {
  if (typeof value !== 'object' || value === null) return false
  const event = value as Partial<FcHttpEvent>
  return event.version === 'v1' && typeof event.requestContext?.http?.method === 'string'
}

/**
 * The JSON body of a POST, decoded from base64 when FC encoded it.
 * @throws MethodNotAllowedError for any method but POST
 * @throws InvalidRequestError when the body is not JSON
 */
export function readHttpBody(event: FcHttpEvent): unknown {
  const method = event.requestContext.http.method.toUpperCase()
  if (method !== 'POST') throw new MethodNotAllowedError(method)
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8')
  return parseJson(body, 'The request body')
}

/**
 * A header's value whatever the case of its name (FC does not normalise it).
 * @example headerValue(event, 'Content-Type')
 */
export function headerValue(event: FcHttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value
  }
  return undefined
}

/** A JSON answer in FC's HTTP response shape. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): FcHttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  }
}
