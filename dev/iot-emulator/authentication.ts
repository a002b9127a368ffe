/**
 * How the emulator authenticates a call, as Alibaba Cloud's POP gateway does: signature V1
 * (`HMAC-SHA1`, in the parameters, as pop-core signs) or V3 (`ACS3-HMAC-SHA256`, in headers, the
 * official SDKs' default); then the clock, the STS token and the nonce, which both versions share.
 */
import { timingSafeEqual } from 'node:crypto'
import type { PubRefusal } from './pub-api.js'
import { signRpc, stringToSign } from './signature.js'
import {
  type Acs3Request,
  headersToSign,
  parseAcs3Authorization,
  sha256Hex,
  signAcs3,
} from './signature-v3.js'

/** An AccessKey pair the emulator accepts; a security token makes it STS credentials. */
export interface EmulatorCredentials {
  accessKeyId: string
  accessKeySecret: string
  securityToken?: string
  /** When the STS token stops being accepted. */
  expiresAt?: Date
}

const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/
const V1_COMMON = [
  'AccessKeyId',
  'Action',
  'Format',
  'Signature',
  'SignatureMethod',
  'SignatureNonce',
  'SignatureVersion',
  'Timestamp',
  'Version',
]
const V3_REQUIRED = [
  'host',
  'x-acs-action',
  'x-acs-version',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-content-sha256',
]

/** Checks signatures against the accepted credentials, and remembers nonces against replays. */
export class Authenticator {
  readonly #credentials = new Map<string, EmulatorCredentials>()
  readonly #nonces = new Map<string, number>()

  /** Accepts another AccessKey pair or STS credentials. */
  add(credentials: EmulatorCredentials): void {
    this.#credentials.set(credentials.accessKeyId, credentials)
  }

  /** Whether the request is signed with V3 rather than V1. */
  static isAcs3(headers: Record<string, string | undefined>): boolean {
    return headers.authorization?.trimStart().startsWith('ACS3-') ?? false
  }

  /** A V1 call, its signature among `parameters`; undefined when it is authentic. */
  v1(method: string, parameters: Record<string, string>): PubRefusal | undefined {
    const absent = V1_COMMON.find((name) => !parameters[name])
    if (absent) return refuse(400, 'MissingParameter', `The input parameter "${absent}" is not supplied.`)
    const clock = checkClock(parameters.Timestamp ?? '')
    if (clock) return clock
    if (parameters.SignatureMethod !== 'HMAC-SHA1' || parameters.SignatureVersion !== '1.0') {
      return refuse(
        400,
        'InvalidParameter',
        'Only SignatureMethod HMAC-SHA1, SignatureVersion 1.0 are emulated.',
      )
    }
    const credentials = this.#credentials.get(parameters.AccessKeyId ?? '')
    if (!credentials) return refuse(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.')
    if (!same(signRpc(method, parameters, credentials.accessKeySecret), parameters.Signature ?? '')) {
      // POP quotes the query it signed, percent-encoded twice, SecurityToken included.
      return refuse(
        400,
        'SignatureDoesNotMatch',
        `Specified signature is not matched with our calculation. server string to sign is:${stringToSign(method, parameters)}`,
      )
    }
    return (
      checkToken(credentials, parameters.SecurityToken) ?? this.#useNonce(parameters.SignatureNonce ?? '')
    )
  }

  /** A V3 call, its signature in the `Authorization` header; undefined when it is authentic. */
  v3(request: Acs3Request): PubRefusal | undefined {
    const { headers } = request
    const authorization = parseAcs3Authorization(headers.authorization ?? '')
    if (!authorization) {
      return refuse(
        400,
        'IncompleteSignature',
        'The Authorization header does not conform to ACS3-HMAC-SHA256.',
      )
    }
    const absent = V3_REQUIRED.find((name) => !headers[name])
    if (absent) return refuse(400, 'MissingParameter', `The input header "${absent}" is not supplied.`)
    const clock = checkClock(headers['x-acs-date'] ?? '')
    if (clock) return clock
    // Every common header present must be signed, and every signed header present.
    const signed = new Set(authorization.signedHeaders)
    const unsigned = headersToSign(headers).find((name) => !signed.has(name))
    const missing = authorization.signedHeaders.find((name) => headers[name] === undefined)
    if (unsigned || missing) {
      return refuse(
        400,
        'IncompleteSignature',
        `The header "${unsigned ?? missing}" must be signed and sent.`,
      )
    }
    if (headers['x-acs-content-sha256'] !== sha256Hex(request.body)) {
      return refuse(400, 'SignatureDoesNotMatch', 'The x-acs-content-sha256 header does not match the body.')
    }
    const credentials = this.#credentials.get(authorization.accessKeyId)
    if (!credentials) return refuse(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.')
    const expected = signAcs3(request, authorization.signedHeaders, credentials.accessKeySecret)
    if (!same(expected, authorization.signature)) {
      return refuse(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.')
    }
    return (
      checkToken(credentials, headers['x-acs-security-token']) ??
      this.#useNonce(headers['x-acs-signature-nonce'] ?? '')
    )
  }

  #useNonce(nonce: string): PubRefusal | undefined {
    const now = Date.now()
    if (this.#nonces.has(nonce))
      return refuse(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.')
    // A nonce older than the clock window can no longer be replayed: its timestamp would be refused.
    if (this.#nonces.size > 100_000) {
      for (const [seen, at] of this.#nonces) if (now - at > MAX_CLOCK_SKEW_MS) this.#nonces.delete(seen)
    }
    this.#nonces.set(nonce, now)
    return undefined
  }
}

function checkClock(timestamp: string): PubRefusal | undefined {
  if (!TIMESTAMP.test(timestamp))
    return refuse(400, 'InvalidTimeStamp.Format', 'The specified timestamp is not valid.')
  if (Math.abs(Date.parse(timestamp) - Date.now()) > MAX_CLOCK_SKEW_MS) {
    return refuse(400, 'InvalidTimeStamp.Expired', 'The specified time stamp or date value is expired.')
  }
  return undefined
}

function checkToken(credentials: EmulatorCredentials, token: string | undefined): PubRefusal | undefined {
  if (credentials.securityToken === undefined) return undefined
  if (token !== credentials.securityToken) {
    return refuse(
      400,
      'InvalidSecurityToken.MismatchWithAccessKey',
      'The security token does not match the access key.',
    )
  }
  if (credentials.expiresAt && credentials.expiresAt.getTime() <= Date.now()) {
    return refuse(400, 'InvalidSecurityToken.Expired', 'The security token has expired.')
  }
  return undefined
}

function same(expected: string, given: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

function refuse(status: number, code: string, message: string): PubRefusal {
  return { status, code, message }
}
