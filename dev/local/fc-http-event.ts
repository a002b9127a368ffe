/** Builds the event FC 3.0 gives a function for an HTTP trigger request, and writes its answer back. */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FcHttpEvent, FcHttpResponse } from '../../lib/fc/types.js'

const TEXT = /^(application\/(json|[\w.+-]*\+json|x-www-form-urlencoded)|text\/)/i

/**
 * The HTTP trigger event for a request whose body has been read: repeated headers and query values
 * are comma-joined, and a body that is not text arrives base64-encoded, as FC does.
 */
export function toFcHttpEvent(request: IncomingMessage, body: Buffer, accountId: string): FcHttpEvent {
  const url = new URL(request.url ?? '/', 'http://local')
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value
  }
  const queryParameters: Record<string, string> = {}
  for (const name of new Set(url.searchParams.keys()))
    queryParameters[name] = url.searchParams.getAll(name).join(',')
  const isText = TEXT.test(headers['content-type'] ?? 'application/json')
  const now = Date.now()
  return {
    version: 'v1',
    rawPath: url.pathname,
    body: body.toString(isText ? 'utf8' : 'base64'),
    isBase64Encoded: !isText,
    headers,
    queryParameters,
    requestContext: {
      accountId,
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      requestId: randomUUID(),
      time: new Date(now).toUTCString(),
      timeEpoch: String(now),
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
    },
  }
}

/** Writes what the handler answered; anything not in FC's response shape is a 502, as FC would say. */
export function writeFcHttpResponse(response: ServerResponse, answer: unknown): void {
  if (!isFcHttpResponse(answer)) {
    response
      .writeHead(502, { 'content-type': 'text/plain' })
      .end('The function did not answer in FC’s HTTP shape')
    return
  }
  const body = Buffer.from(answer.body, answer.isBase64Encoded ? 'base64' : 'utf8')
  response
    .writeHead(answer.statusCode, { ...answer.headers, 'content-length': String(body.length) })
    .end(body)
}

function isFcHttpResponse(value: unknown): value is FcHttpResponse {
  return (
    typeof value === 'object' && value !== null && typeof (value as FcHttpResponse).statusCode === 'number'
  )
}
