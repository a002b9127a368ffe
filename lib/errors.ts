/**
 * Every failure the gateway can answer with. Each error carries the HTTP status it becomes and the
 * code callers see; the message is always ours and safe to show, and a vendor error survives only as
 * `cause`.
 */

/** One offending field: a JSON pointer into the caller's message and what is wrong with it. */
export interface ErrorDetail {
  pointer: string
  message: string
}

/** The `error` object of every failed answer. */
export interface ErrorBody {
  code: string
  message: string
  details: ErrorDetail[]
  iotCode?: string
  attempts?: number
}

/** Base of all gateway errors. Each subclass names itself: the bundle is minified, so class names are not kept. */
export abstract class GatewayError extends Error {
  abstract readonly status: number
  readonly code: string
  readonly details: ErrorDetail[]
  /** IoT Platform's own error code, when IoT's answer caused this error. */
  readonly iotCode?: string
  /** How many Pub calls were made for the message, set by the retry layer when it gives up. */
  attempts?: number
  /** When a later attempt makes sense, from IoT's Retry-After or the gateway's own backoff. */
  retryAfterMs?: number
  /**
   * Set when the call may have published the message all the same: it reached IoT (or may have) and
   * no answer said otherwise (a read timeout, a reset after the request was written, IoT's broker timeout).
   */
  mayHavePublished?: boolean

  constructor(
    code: string,
    message: string,
    options?: { details?: ErrorDetail[]; cause?: unknown; iotCode?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options?.details ?? []
    this.iotCode = options?.iotCode
  }

  /** HTTP headers the answer needs besides its JSON body. */
  get headers(): Record<string, string> {
    const ms = this.retryAfterMs
    if (ms === undefined || !Number.isFinite(ms) || !this.retryable) return {}
    return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) }
  }

  /** The `error` object of the answer: nothing here comes from a vendor but IoT's code. */
  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message, details: this.details }
    if (this.iotCode !== undefined) body.iotCode = this.iotCode
    if (this.attempts !== undefined) body.attempts = this.attempts
    return body
  }

  /** Whether the same message may succeed later (throttling, outages, the gateway's own setup). */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500
  }
}

/** Malformed JSON or a message that breaks the schema. */
export class InvalidRequestError extends GatewayError {
  override name = 'InvalidRequestError'
  readonly status = 400

  constructor(message: string, details: ErrorDetail[] = []) {
    super('InvalidRequest', message, { details })
  }
}

/** An HTTP caller without a valid API key. */
export class UnauthorizedError extends GatewayError {
  override name = 'UnauthorizedError'
  readonly status = 401

  constructor(message: string) {
    super('Unauthorized', message)
  }

  override get headers(): Record<string, string> {
    return { 'www-authenticate': 'Bearer' }
  }
}

/** A message the operator does not allow: its product or topic is outside ALLOWED_PRODUCT_KEYS/ALLOWED_TOPICS. */
export class ForbiddenError extends GatewayError {
  override name = 'ForbiddenError'
  readonly status = 403

  constructor(message: string, details: ErrorDetail[] = []) {
    super('Forbidden', message, { details })
  }
}

/** A request body that is not JSON. */
export class UnsupportedMediaTypeError extends GatewayError {
  override name = 'UnsupportedMediaTypeError'
  readonly status = 415

  constructor(contentType: string, charset?: string) {
    super(
      'UnsupportedMediaType',
      charset === undefined
        ? `Content type "${contentType}" is not accepted; send application/json`
        : `The charset "${charset}" is not accepted: send the JSON in UTF-8, as application/json or application/json; charset=utf-8`,
    )
  }
}

/** Anything but POST on the HTTP trigger. */
export class MethodNotAllowedError extends GatewayError {
  override name = 'MethodNotAllowedError'
  readonly status = 405

  constructor(method: string) {
    super('MethodNotAllowed', `Method ${method} is not allowed; use POST`)
  }

  override get headers(): Record<string, string> {
    return { allow: 'POST' }
  }
}

/** A decoded payload above the configured limit. */
export class PayloadTooLargeError extends GatewayError {
  override name = 'PayloadTooLargeError'
  readonly status = 413

  constructor(message: string, details: ErrorDetail[] = []) {
    super('PayloadTooLarge', message, { details })
  }
}

/** IoT Platform refused the message itself; IoT's code is kept so the caller can act on it. */
export class MessageRejectedError extends GatewayError {
  override name = 'MessageRejectedError'
  readonly status: 404 | 422

  constructor(iotCode: string, message: string, status: 404 | 422, cause?: unknown) {
    super(iotCode, message, { cause })
    this.status = status
  }
}

/** IoT Platform refused the gateway's own credentials, signature or instance: no caller can fix it. */
export class UpstreamRejectedError extends GatewayError {
  override name = 'UpstreamRejectedError'
  readonly status = 502

  constructor(iotCode: string, cause?: unknown) {
    super('UpstreamRejected', `IoT Platform rejected the gateway's configuration (${iotCode})`, {
      cause,
      iotCode,
    })
  }
}

/** IoT Platform throttled the call (account quota of Pub calls per second), or the gateway's limiter did. */
export class ThrottledError extends GatewayError {
  override name = 'ThrottledError'
  readonly status = 429

  constructor(iotCode: string | undefined, cause?: unknown) {
    super(
      'Throttled',
      iotCode === undefined
        ? 'The Pub rate limit (PUB_QPS_LIMIT) has no free slot before the deadline; retry later'
        : `IoT Platform throttled the publish (${iotCode}); retry later`,
      { cause, iotCode },
    )
  }
}

/** IoT Platform or the network between failed in a way a later attempt may cure. */
export class UpstreamUnavailableError extends GatewayError {
  override name = 'UpstreamUnavailableError'
  readonly status = 503

  constructor(iotCode: string, cause?: unknown) {
    super('UpstreamUnavailable', `IoT Platform is unavailable (${iotCode}); retry later`, { cause, iotCode })
  }
}

/** IoT Platform did not confirm the publish in time. The message may or may not have been published. */
export class UpstreamTimeoutError extends GatewayError {
  override name = 'UpstreamTimeoutError'
  readonly status = 504

  constructor(iotCode: string, cause?: unknown) {
    super(
      'UpstreamTimeout',
      `IoT Platform did not confirm the publish (${iotCode}); the message may have been published`,
      { cause, iotCode },
    )
  }
}

/** Some messages of a batch or some CloudEvents failed for reasons a retry may cure. */
export class RetryableFailuresError extends GatewayError {
  override name = 'RetryableFailuresError'
  readonly status = 503

  constructor(what: string) {
    super('RetryableFailures', `${what} failed for a reason a retry may cure; the rest were published`)
  }
}

/** The gateway itself lacks a setting; the message names what the operator must set. */
export class ConfigurationError extends GatewayError {
  override name = 'ConfigurationError'
  readonly status = 500

  constructor(message: string) {
    super('GatewayMisconfigured', message)
  }
}

/** Anything unexpected: callers get a generic message, the log gets the cause. */
export class InternalError extends GatewayError {
  override name = 'InternalError'
  readonly status = 500

  constructor(cause: unknown) {
    super('InternalError', 'The gateway failed unexpectedly', { cause })
  }
}

/** Turns whatever was thrown into a gateway error, hiding unexpected ones behind a generic 500. */
export function toGatewayError(error: unknown): GatewayError {
  return error instanceof GatewayError ? error : new InternalError(error)
}

/**
 * What a direct invocation throws so that FC's retry policy applies: the gateway's code and message,
 * and nothing of the vendor's error (FC prints what is thrown, cause included).
 */
export class InvocationFailedError extends Error {
  readonly code: string
  readonly status: number

  constructor(error: GatewayError) {
    super(`${error.code}: ${error.message}`)
    this.name = error.name
    this.code = error.code
    this.status = error.status
  }
}
