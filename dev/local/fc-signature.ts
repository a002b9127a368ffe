/**
 * Function Compute's request signature (API 2016-08-15), written from its description, so that the
 * local runner checks what `@alicloud/fc2` sends rather than agreeing with it by construction.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** A caller's key pair the local runner accepts. */
export interface FcCallerCredentials {
  accessKeyId: string
  accessKeySecret: string
}

/** Why a signed request is refused, in FC's error codes. */
export type FcSignatureRefusal =
  | {
      status: 403
      code: 'SignatureNotMatch' | 'InvalidAccessKeyID' | 'RequestTimeTooSkewed'
      message: string
    }
  | { status: 400; code: 'InvalidArgument'; message: string }

const MAX_SKEW_MS = 15 * 60 * 1000

/**
 * `METHOD\ncontent-md5\ncontent-type\ndate\n` + the `x-fc-*` headers, lower-cased and sorted, as
 * `name:value\n` + the path.
 */
export function fcStringToSign(
  method: string,
  path: string,
  headers: Record<string, string | undefined>,
): string {
  const fcHeaders = Object.entries(headers)
    .map(([name, value]) => [name.toLowerCase().trim(), value ?? ''] as const)
    .filter(([name]) => name.startsWith('x-fc-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${value}\n`)
    .join('')
  return `${method}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${headers.date ?? ''}\n${fcHeaders}${path}`
}

/**
 * Checks `authorization: FC <AccessKeyID>:<base64 HMAC-SHA256>` and the freshness of `date`.
 * @returns the refusal, or undefined when the request is authentic
 */
export function verifyFcSignature(
  method: string,
  path: string,
  headers: Record<string, string | undefined>,
  callers: readonly FcCallerCredentials[],
  now = Date.now(),
): FcSignatureRefusal | undefined {
  const match = /^FC ([^:]+):(.+)$/.exec(headers.authorization ?? '')
  const caller = callers.find((credentials) => credentials.accessKeyId === match?.[1])
  if (!match || !caller)
    return { status: 403, code: 'InvalidAccessKeyID', message: 'The access key id is not known' }
  const date = Date.parse(headers.date ?? '')
  if (Number.isNaN(date) || Math.abs(now - date) > MAX_SKEW_MS) {
    return {
      status: 403,
      code: 'RequestTimeTooSkewed',
      message: 'The date header is missing or more than 15 minutes off',
    }
  }
  const expected = createHmac('sha256', caller.accessKeySecret)
    .update(fcStringToSign(method, path, headers), 'utf8')
    .digest()
  const offered = Buffer.from(match[2] ?? '', 'base64')
  if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
    return { status: 403, code: 'SignatureNotMatch', message: 'The request signature does not match' }
  }
  return undefined
}

/**
 * Checks that the body is the one the signature covers: the signature signs `content-md5`, not the
 * bytes, so a body without a matching `content-md5` could be swapped under a captured signature. fc2
 * sends base64 of the hex MD5; base64 of the raw MD5 (RFC 1864) is taken as well. FC's own code for a
 * mismatch is unverified.
 * @returns the refusal, or undefined when the body matches
 */
export function verifyContentMd5(
  headers: Record<string, string | undefined>,
  body: Buffer,
): FcSignatureRefusal | undefined {
  const offered = headers['content-md5']
  if (offered === undefined && body.length === 0) return undefined
  const digest = createHash('md5').update(body).digest()
  const accepted = [Buffer.from(digest.toString('hex')).toString('base64'), digest.toString('base64')]
  if (offered !== undefined && accepted.includes(offered.trim())) return undefined
  return {
    status: 400,
    code: 'InvalidArgument',
    message: 'Content-MD5 is missing or does not match the body',
  }
}
