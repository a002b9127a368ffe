/**
 * Classifies what a `Pub` call through pop-core threw into the gateway's errors, by IoT's error code
 * (never by HTTP status: IoT throttles with 400, 429 or 503). The vendor object is kept only as cause.
 */
import {
  type GatewayError,
  InternalError,
  MessageRejectedError,
  ThrottledError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../errors.js'

const THROTTLING = new Set(['Throttling', 'Throttling.User', 'Throttling.Api', 'iot.messagebroker.RateLimit'])

const TRANSIENT = new Set([
  'ServiceUnavailable',
  'InternalError',
  'iot.system.SystemException',
  'iot.messagebroker.PublishMessageException',
])

const NOT_FOUND = new Set(['iot.device.NotExistedDevice', 'iot.prod.NotExistedProduct'])

// The gateway's own keys, signature, clock, instance or RAM policy: the operator must act, not the caller.
const GATEWAY_SETUP = [
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidSecurityToken',
  'InvalidTimeStamp',
  'SignatureNonceUsed',
  'Forbidden',
  'iot.system.InstanceNotFound',
  'iot.Sre.IotInstanceNotFound',
  'iot.common.RamActionPermissionDeny',
]

const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'EAI_AGAIN',
])

/** The fields of pop-core's and Node's errors that classification reads. */
interface VendorError {
  name?: unknown
  code?: unknown
  data?: { ErrorMessage?: unknown; Message?: unknown }
  entry?: { response?: { statusCode?: unknown; headers?: Record<string, unknown> } }
}

/**
 * Translates whatever a `Pub` call threw into a gateway error.
 * @param thrown - pop-core's error, a network error, or its plain object for a non-JSON body
 */
export function translatePubError(thrown: unknown): GatewayError {
  const error = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as VendorError
  const translated = classify(thrown, error)
  translated.retryAfterMs = retryAfterMs(error.entry?.response?.headers?.['retry-after'])
  return translated
}

function classify(thrown: unknown, error: VendorError): GatewayError {
  const code = typeof error.code === 'string' ? error.code : undefined
  if (error.name === 'SyntaxError' && !(thrown instanceof Error)) {
    return new UpstreamUnavailableError('InvalidResponse', thrown)
  }
  if (typeof error.name === 'string' && error.name.startsWith('RequestTimeout')) {
    return new UpstreamTimeoutError('RequestTimeout', thrown)
  }
  if (code === undefined) return new InternalError(thrown)
  if (NETWORK.has(code)) return new UpstreamUnavailableError(code, thrown)
  if (THROTTLING.has(code) || code.startsWith('Throttling.')) return new ThrottledError(code, thrown)
  if (code === 'iot.messagebroker.TIMEOUT') return new UpstreamTimeoutError(code, thrown)
  if (TRANSIENT.has(code)) return new UpstreamUnavailableError(code, thrown)
  if (GATEWAY_SETUP.some((prefix) => code === prefix || code.startsWith(`${prefix}.`))) {
    return new UpstreamRejectedError(code, thrown)
  }
  if (NOT_FOUND.has(code)) return new MessageRejectedError(code, iotMessage(error, code), 404, thrown)
  // An unknown code: a server-side status suggests an outage, anything else a refusal of this message.
  const status = error.entry?.response?.statusCode
  if (typeof status === 'number' && status >= 500) return new UpstreamUnavailableError(code, thrown)
  return new MessageRejectedError(code, iotMessage(error, code), 422, thrown)
}

/** A Retry-After header in seconds or as an HTTP date, in milliseconds from now. */
function retryAfterMs(header: unknown): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

// IoT's own explanation is about the message (no URL, no keys), so callers may read it.
function iotMessage(error: VendorError, code: string): string {
  const text = error.data?.ErrorMessage ?? error.data?.Message
  return typeof text === 'string' && text.length > 0 ? text : `IoT Platform rejected the message (${code})`
}
