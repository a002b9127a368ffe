/**
 * Function Compute's invoke API as the local runner serves it: FC 3.0's
 * `POST /2023-03-30/functions/{name}/invocations[?qualifier=]` and FC 2.0's
 * `POST /2016-08-15/services/{service}[.{qualifier}]/functions/{name}/invocations`, each signed as FC
 * checks it, `Async` answered 202 and run afterwards, and a function error answered as a 2xx with
 * `x-fc-error-type`. A function with an HTTP trigger gets the call as an HTTP event, as FC was seen to
 * deliver it; one without gets the payload itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { toFcHttpEvent } from './fc-http-event.js'
import { type FcCallerCredentials, verifyContentMd5, verifyFcSignature } from './fc-signature.js'

const FC3_PATH = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/
const FC2_PATH = /^\/2016-08-15\/services\/([^/]+)\/functions\/([^/]+)\/invocations$/

/** The function and qualifier an invoke path names, or undefined for any other path. */
export function matchInvokePath(url: string): { functionName: string; qualifier?: string } | undefined {
  const { pathname, searchParams } = new URL(url, 'http://local')
  const fc3 = FC3_PATH.exec(pathname)
  if (fc3) return { functionName: fc3[1] ?? '', qualifier: searchParams.get('qualifier') ?? undefined }
  const fc2 = FC2_PATH.exec(pathname)
  if (!fc2) return undefined
  const [, qualifier] = (fc2[1] ?? '').split('.')
  return { functionName: fc2[2] ?? '', qualifier }
}

/** The function behind the local invoke API. */
export interface InvokeApiFunction {
  name: string
  accountId: string
  region: string
  /** Key pairs whose signatures are accepted. */
  callers: readonly FcCallerCredentials[]
  /** `http-event` when the function has an HTTP trigger (the call arrives in its shape), else `payload`. */
  delivery: 'http-event' | 'payload'
  /** Runs one invocation with this request id. */
  run(event: Buffer, requestId: string): Promise<unknown>
}

/** Answers one invoke API request whose body has been read. */
export async function answerInvoke(
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  target: InvokeApiFunction,
  requestId: string,
): Promise<void> {
  const url = request.url ?? '/'
  const called = matchInvokePath(url)
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
  )
  // FC signs the path without its query, whatever the version.
  const refusal =
    verifyFcSignature(
      request.method ?? 'POST',
      new URL(url, 'http://local').pathname,
      headers,
      target.callers,
    ) ?? verifyContentMd5(headers, body)
  if (refusal)
    return sendJson(
      response,
      refusal.status,
      { ErrorCode: refusal.code, ErrorMessage: refusal.message },
      requestId,
    )
  if (request.method !== 'POST' || !called) {
    return sendJson(
      response,
      400,
      { ErrorCode: 'PathNotSupported', ErrorMessage: `${request.method} ${url} is not supported` },
      requestId,
    )
  }
  if (called.functionName !== target.name) {
    const message = `function '${called.functionName}' does not exist`
    return sendJson(response, 404, { ErrorCode: 'FunctionNotFound', ErrorMessage: message }, requestId)
  }
  // Locally there is only the latest code: any version or alias is unknown.
  if (called.qualifier !== undefined && called.qualifier !== 'LATEST') {
    const code = /^\d+$/.test(called.qualifier) ? 'VersionNotFound' : 'AliasNotFound'
    return sendJson(
      response,
      404,
      { ErrorCode: code, ErrorMessage: `qualifier '${called.qualifier}' does not exist` },
      requestId,
    )
  }
  const event =
    target.delivery === 'payload'
      ? body
      : Buffer.from(
          JSON.stringify(
            toFcHttpEvent(request, body, {
              requestId,
              accountId: target.accountId,
              domainName: `${target.accountId}.${target.region}.fc.aliyuncs.com`,
              textBody: 'utf8',
            }),
          ),
        )
  if (headers['x-fc-invocation-type']?.toLowerCase() === 'async') {
    response.writeHead(202, { 'x-fc-request-id': requestId }).end()
    // Run later, as FC's async queue does; its outcome goes to the log like any invocation's.
    setImmediate(() => void target.run(event, requestId).catch(() => undefined))
    return
  }
  try {
    sendJson(response, 200, await target.run(event, requestId), requestId)
  } catch (error) {
    const { name = 'Error', message = String(error) } = error as Error
    sendJson(response, 200, { errorMessage: message, errorType: name, stackTrace: [] }, requestId, {
      'x-fc-error-type': 'UnhandledInvocationError',
    })
  }
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  headers = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': requestId, ...headers })
  response.end(JSON.stringify(body))
}
