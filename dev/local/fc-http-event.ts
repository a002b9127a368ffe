/**
 * Builds the event FC 3.0 gives a function for an HTTP request, and writes its answer back. The event
 * is shaped as FC delivers it rather than as one would wish: header names canonicalised (`Content-Type`,
 * `X-Fc-Log-Type`), repeated values comma-joined, `time` in ISO form, and the body as text only when it
 * is text. Bytes that are not valid UTF-8 travel in base64, so the runner never replaces them.
 */
import { isUtf8 } from 'node:buffer'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FcHttpEvent, FcHttpResponse } from '../../lib/fc/types.js'

const TEXT = /^(application\/(json|[\w.+-]*\+json|x-www-form-urlencoded|xml)|text\/)/i

/** What FC knows of a request beyond the request itself. */
export interface FcRequestOrigin {
  /** The invocation's request id, the same everywhere: event, context, answer header and logs. */
  requestId: string
  accountId: string
  /** The domain FC routed the request by: the trigger's, or the account's API domain. */
  domainName: string
  /**
   * When the body is passed as text: for a text content type (an HTTP trigger), or whenever it is valid
   * UTF-8 (an InvokeFunction call, whose `application/octet-stream` FC was seen to pass as text).
   */
  textBody: 'text-types' | 'utf8'
  now?: number
}

/**
 * `content-type` → `Content-Type`, `x-fc-log-type` → `X-Fc-Log-Type`: each word's first letter upper-cased.
 * @example canonicalHeaderName('x-acs-action') // 'X-Acs-Action'
 */
export function canonicalHeaderName(name: string): string {
  return name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join('-')
}

/** The HTTP event for a request whose body has been read. */
export function toFcHttpEvent(request: IncomingMessage, body: Buffer, origin: FcRequestOrigin): FcHttpEvent {
  const url = new URL(request.url ?? '/', 'http://local')
  const headers: Record<string, string> = {}
  for (const [name, values] of Object.entries(request.headersDistinct))
    if (values !== undefined) headers[canonicalHeaderName(name)] = values.join(',')
  const queryParameters: Record<string, string> = {}
  for (const name of new Set(url.searchParams.keys()))
    queryParameters[name] = url.searchParams.getAll(name).join(',')
  const textType = TEXT.test(headers['Content-Type'] ?? 'application/json')
  const isText = (origin.textBody === 'utf8' || textType) && isUtf8(body)
  const now = origin.now ?? Date.now()
  return {
    version: 'v1',
    rawPath: url.pathname,
    body: body.toString(isText ? 'utf8' : 'base64'),
    isBase64Encoded: !isText,
    headers,
    queryParameters,
    requestContext: {
      accountId: origin.accountId,
      domainName: origin.domainName,
      domainPrefix: origin.domainName.split('.')[0],
      requestId: origin.requestId,
      // FC writes whole seconds: 2023-09-05T06:41:11Z.
      time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(now),
      http: {
        method: request.method ?? 'GET',
        path: decodedPath(url.pathname),
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['User-Agent'] ?? '',
      },
    },
  }
}

/**
 * Writes what the handler answered, with FC's `x-fc-request-id`; anything not in FC's response shape
 * is a 502, as FC would say.
 */
export function writeFcHttpResponse(response: ServerResponse, answer: unknown, requestId: string): void {
  if (!isFcHttpResponse(answer)) {
    response
      .writeHead(502, { 'content-type': 'text/plain', 'x-fc-request-id': requestId })
      .end('The function did not answer in FC’s HTTP shape')
    return
  }
  const body = Buffer.from(answer.body, answer.isBase64Encoded ? 'base64' : 'utf8')
  response
    .writeHead(answer.statusCode, {
      ...answer.headers,
      'content-length': String(body.length),
      'x-fc-request-id': requestId,
    })
    .end(body)
}

// rawPath stays URL-encoded; http.path is decoded, or left as it came when it does not decode.
function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

function isFcHttpResponse(value: unknown): value is FcHttpResponse {
  return (
    typeof value === 'object' && value !== null && typeof (value as FcHttpResponse).statusCode === 'number'
  )
}
