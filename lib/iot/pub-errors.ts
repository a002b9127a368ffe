/**
 * Classifies what a `Pub` call threw into the gateway's errors. A message is refused (404, 422) only
 * when IoT answered with a code known to be about that message; anything else is the gateway's setup
 * (502), throttling (429) or an outage, the network or an unknown answer (503, 504), which a retry or
 * the operator may cure. Codes are matched case-insensitively (IoT spells `Iot.system.BillIsOverDue`),
 * never by HTTP status (IoT throttles with 400, 429 or 503). The vendor object is kept only as cause.
 */
import {
  type GatewayError,
  InternalError,
  InvalidRequestError,
  MessageRejectedError,
  ThrottledError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../errors.js'

const lower = (codes: string[]) => new Set(codes.map((code) => code.toLowerCase()))

const THROTTLING = lower(['Throttling', 'iot.messagebroker.RateLimit'])

// IoT's word about this message: no retry and no operator can make it deliverable as it is.
const MESSAGE_NOT_FOUND = lower(['iot.device.NotExistedDevice', 'iot.prod.NotExistedProduct'])
// A device not activated cannot take a message until it is: the platform's advice is never to retry, so
// the message is refused rather than retried within the invocation.
const MESSAGE_INVALID = lower([
  'iot.device.InactiveDevice',
  'iot.messagebroker.InvalidFormattedTopicName',
  'iot.messagebroker.NullMessageContent',
  'iot.messagebroker.MessageContentIsNotBase64Encode',
  'InvalidParameter',
])

// The gateway's keys, signature, clock, protocol, API version, instance, RAM policy or account: the
// operator must act, not the caller. A code matches its dotted sub-codes too (InvalidSecurityToken.Expired).
const GATEWAY_SETUP = lower([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidSecurityToken',
  'InvalidTimeStamp',
  'SignatureNonceUsed',
  'MissingParameter',
  'InvalidProtocol',
  'InvalidVersion',
  'InvalidAction',
  'Forbidden',
  'NoPermission',
  'iot.system.InstanceNotFound',
  'iot.Sre.IotInstanceNotFound',
  'iot.common.RamActionPermissionDeny',
  'iot.system.UidNotFound',
  'iot.system.BillIsOverDue',
])

// IoT's broker gave up waiting: the message may have gone out.
const BROKER_TIMEOUT = 'iot.messagebroker.timeout'

/** The fields of pop-core's, the transport's and Node's errors that classification reads. */
interface VendorError {
  name?: unknown
  code?: unknown
  maybeDelivered?: unknown
  retryAfter?: unknown
  entry?: { response?: { headers?: Record<string, unknown> } }
  data?: { ErrorMessage?: unknown; Message?: unknown }
}

/**
 * Translates whatever a `Pub` call threw into a gateway error, marked when the message may have been
 * published all the same.
 * @param thrown - pop-core's error for an answer with a Code, the transport's `PubExchangeError`, a
 *   network error, pop-core's plain object for a body it could not parse, or what signing threw
 */
export function translatePubError(thrown: unknown): GatewayError {
  const error = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as VendorError
  const translated = classify(thrown, error)
  translated.retryAfterMs = retryAfterMs(error.entry?.response?.headers?.['retry-after'] ?? error.retryAfter)
  return translated
}

function classify(thrown: unknown, error: VendorError): GatewayError {
  const code = typeof error.code === 'string' && error.code !== '' ? error.code : undefined
  // Thrown on the way to or from IoT: the transport knows whether the request may have got there.
  if (error.name === 'PubExchangeError' || error.name === 'RequestTimeoutError') {
    return exchangeFailure(code ?? 'RequestTimeout', error.maybeDelivered !== false, thrown)
  }
  // A body pop-core could not parse: something answered, so the request was sent.
  if (error.name === 'SyntaxError' && !(thrown instanceof Error)) {
    return maybePublished(new UpstreamUnavailableError('InvalidResponse', thrown))
  }
  if (code === undefined) return unsent(thrown)
  const key = code.toLowerCase()
  if (key.startsWith('e') && /^E[A-Z0-9_]+$/.test(code)) return exchangeFailure(code, undefined, thrown)
  if (THROTTLING.has(key) || key.startsWith('throttling.')) return new ThrottledError(code, thrown)
  if (key === BROKER_TIMEOUT) return maybePublished(new UpstreamTimeoutError(code, thrown))
  if (matches(GATEWAY_SETUP, key)) return new UpstreamRejectedError(code, thrown)
  if (MESSAGE_NOT_FOUND.has(key)) return new MessageRejectedError(code, iotMessage(error, code), 404, thrown)
  if (MESSAGE_INVALID.has(key)) return new MessageRejectedError(code, iotMessage(error, code), 422, thrown)
  // ServiceUnavailable, InternalError, iot.system.SystemException…, and codes no table knows.
  if (/^(?:HPE_|Z_|ERR_|[A-Z0-9_]+_CERT|CERT_)/.test(code)) return exchangeFailure(code, undefined, thrown)
  return new UpstreamUnavailableError(code, thrown)
}

/**
 * A failure on the wire. Names the transport could not place (Node's own codes, met without the
 * transport) count as possibly delivered unless they can only happen before a connection exists.
 */
function exchangeFailure(code: string, maybeDelivered: boolean | undefined, thrown: unknown): GatewayError {
  const delivered = maybeDelivered ?? !NEVER_CONNECTED.test(code)
  if (!delivered) return new UpstreamUnavailableError(code, thrown)
  const error = /Timeout$/.test(code)
    ? new UpstreamTimeoutError(code, thrown)
    : new UpstreamUnavailableError(code, thrown)
  return maybePublished(error)
}

// DNS, refused or unreachable connections and every TLS handshake failure: no byte of the request left.
const NEVER_CONNECTED =
  /^(?:ENOTFOUND|EAI_\w+|ECONNREFUSED|ENETUNREACH|EHOSTUNREACH|EHOSTDOWN|EADDRNOTAVAIL|ENETDOWN|ConnectTimeout|ERR_TLS_\w+|ERR_SSL_\w+|EPROTO|\w*CERT\w*|\w*SELF_SIGNED\w*)$/

function maybePublished(error: GatewayError): GatewayError {
  error.mayHavePublished = true
  return error
}

// Without a code, where the error came from decides: pop-core throws before any I/O only while signing,
// where a string that cannot be encoded (a lone surrogate) is the message's own fault.
function unsent(thrown: unknown): GatewayError {
  if (thrown instanceof URIError) {
    return new InvalidRequestError('The message holds text that is not valid Unicode (a lone surrogate)')
  }
  return new InternalError(thrown)
}

function matches(prefixes: Set<string>, key: string): boolean {
  if (prefixes.has(key)) return true
  const dot = key.indexOf('.')
  // Sub-codes: InvalidSecurityToken.Expired, Forbidden.RAM, InvalidProtocol.NeedSsl…
  for (let at = dot; at > 0; at = key.indexOf('.', at + 1)) if (prefixes.has(key.slice(0, at))) return true
  return false
}

/** A Retry-After header in seconds or as an HTTP date, in milliseconds from now; undefined when unusable. */
function retryAfterMs(header: unknown): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

// Text quoting the request (POP's "server string to sign is: …", signed fragments) is never shown, nor
// text holding a run of 20 base64 characters: a key secret, a signature or an STS token, named or not.
const QUOTES_REQUEST = /string\s*to\s*sign|signature|securitytoken|accesskey|%[0-9a-f]{2}|[A-Za-z0-9+/=]{20}/i

// IoT's explanation of why it refused this message, when it says nothing of the request itself.
function iotMessage(error: VendorError, code: string): string {
  const text = error.data?.ErrorMessage ?? error.data?.Message
  return typeof text === 'string' && text.length > 0 && text.length <= 300 && !QUOTES_REQUEST.test(text)
    ? text
    : `IoT Platform rejected the message (${code})`
}
