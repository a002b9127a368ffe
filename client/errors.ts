/**
 * What the typed client throws. Every failure is one of three classes, each saying whether sending
 * the same request again may succeed (`retryable`); fc2's and Node's own errors survive only as
 * `cause`, never thrown as they are.
 */
import type { ErrorBody } from '../lib/errors.js'

/** The gateway refused the message (or the whole batch); sending it again unchanged cannot succeed. */
export class GatewayRefusedError extends Error {
  override name = 'GatewayRefusedError'
  readonly retryable = false
  readonly code: string
  readonly details: ErrorBody['details']
  readonly iotCode?: string

  constructor(error: ErrorBody) {
    const first = error.details?.[0]
    super(`${error.code}: ${error.message}${first ? ` (${first.pointer}: ${first.message})` : ''}`)
    this.code = error.code
    this.details = error.details ?? []
    this.iotCode = error.iotCode
  }
}

/**
 * The invocation failed for a reason a later retry may cure: FC's throttling (429) or its 5xx, a
 * network fault or timeout, or the gateway failing the invocation (IoT throttling, an outage). After a
 * timeout the message may have been published.
 */
export class GatewayFailedError extends Error {
  override name = 'GatewayFailedError'
  readonly retryable = true
  /** The gateway's error code, FC's, or the network's (e.g. `UpstreamUnavailable`, `ResourceExhausted`, `ECONNRESET`). */
  readonly code: string
  /** FC's `x-fc-request-id`, when FC answered. */
  readonly fcRequestId?: string

  constructor(message: string, code: string, options: { fcRequestId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.fcRequestId = options.fcRequestId
  }
}

/**
 * Function Compute refused the invoke call itself, before the gateway ran: a wrong signature or access
 * key (403 `SignatureNotMatch`, `InvalidAccessKeyID`, `RequestTimeTooSkewed`), a caller without
 * `fc:InvokeFunction` (403 `AccessDenied`), an unknown function, qualifier or host (404), or a
 * request FC cannot take (400, 413). Fix the credentials, policy or target; a retry cannot help.
 */
export class InvocationDeniedError extends Error {
  override name = 'InvocationDeniedError'
  readonly retryable = false
  /** FC's error code when its answer named one, else `HTTP<status>` (or the network's code). */
  readonly code: string
  /** FC's HTTP status, when FC answered. */
  readonly status?: number
  readonly fcRequestId?: string

  constructor(
    message: string,
    code: string,
    options: { status?: number; fcRequestId?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status
    this.fcRequestId = options.fcRequestId
  }
}

/** Any error the client throws. */
export type GatewayClientError = GatewayRefusedError | GatewayFailedError | InvocationDeniedError

// FC's throttling codes, whatever status they come with.
const FC_THROTTLING = /^(ResourceExhausted|ResourceThrottled|Throttling(\..+)?|TooManyRequests)$/i
// Faults of the network or of a peer that a later attempt may not meet.
const TRANSIENT_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNABORTED',
])
// fc2 2.6 keeps the HTTP status and FC's request id only in its message:
// "POST /functions/x/invocations failed with 429. requestid: …, message: …."
const FC2_FAILURE = /failed with (\d{3})\. requestid: ([^,]*),/

/**
 * The client's own error for whatever fc2 or the network threw.
 * @example throw toClientError(error)
 */
export function toClientError(error: unknown): GatewayClientError {
  if (
    error instanceof GatewayRefusedError ||
    error instanceof GatewayFailedError ||
    error instanceof InvocationDeniedError
  )
    return error
  const { name, code, message = '' } = (error ?? {}) as { name?: string; code?: unknown; message?: string }
  const answered = FC2_FAILURE.exec(message)
  if (answered) {
    const status = Number(answered[1])
    const fcCode = typeof code === 'string' && code !== '' ? code : undefined
    const fcRequestId = answered[2] && answered[2] !== 'undefined' ? answered[2] : undefined
    return fromFcAnswer(status, fcCode, { fcRequestId, cause: error })
  }
  if (name === 'RequestTimeoutError')
    return new GatewayFailedError(
      'Function Compute did not answer in time; the message may have been published',
      'Timeout',
      { cause: error },
    )
  if (typeof code === 'string' && TRANSIENT_NETWORK.has(code))
    return new GatewayFailedError(`Function Compute could not be reached (${code})`, code, { cause: error })
  if (code === 'ENOTFOUND')
    return new InvocationDeniedError(
      'The Function Compute endpoint does not resolve: check the account id, region and endpoint',
      'ENOTFOUND',
      { cause: error },
    )
  if (name === 'SyntaxError')
    return new GatewayFailedError(
      'Function Compute answered with JSON that does not parse',
      'InvalidResponse',
      {
        cause: error,
      },
    )
  // Any other fault of Node's (a TLS certificate that is not trusted, say) keeps its code, which says why.
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code))
    return new GatewayFailedError(`The invocation failed in transit (${code})`, code, {
      cause: error,
    })
  return new GatewayFailedError('The invocation failed unexpectedly', 'InvocationFailed', { cause: error })
}

function fromFcAnswer(
  status: number,
  fcCode: string | undefined,
  options: { fcRequestId?: string; cause: unknown },
): GatewayClientError {
  const code = fcCode ?? `HTTP${status}`
  if (status === 429 || status >= 500 || (fcCode !== undefined && FC_THROTTLING.test(fcCode)))
    return new GatewayFailedError(`Function Compute answered ${status} (${code}); retry later`, code, options)
  return new InvocationDeniedError(
    `Function Compute refused the invocation: ${status} (${code}); ${advice(status)}`,
    code,
    {
      status,
      ...options,
    },
  )
}

function advice(status: number): string {
  if (status === 401 || status === 403)
    return 'check the access key, its secret and that the caller may fc:InvokeFunction on this function'
  if (status === 404) return 'check the function name, qualifier, account id and region'
  return 'the request is not one FC accepts'
}
