/**
 * Alibaba Cloud request signature V3 (`ACS3-HMAC-SHA256`), written from the published specification
 * ("Request syntax and signature method V3"), the default of the official `@alicloud/*` SDKs. Pure: the
 * server decides about credentials, clocks and nonces.
 */
import { createHash, createHmac } from 'node:crypto'
import { percentEncode } from './signature.js'

/** The algorithm this module verifies. */
export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256'

/** What the `Authorization` header of a V3 request says. */
export interface Acs3Authorization {
  accessKeyId: string
  /** Lower-case header names, in the order given. */
  signedHeaders: string[]
  signature: string
}

/** The parts of an HTTP request a V3 signature covers. */
export interface Acs3Request {
  method: string
  path: string
  /** Query parameters, decoded. */
  query: Record<string, string>
  /** Header names in lower case, as Node gives them. */
  headers: Record<string, string | undefined>
  body: Buffer
}

/**
 * Reads `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`.
 * @returns undefined when the header is not a well-formed V3 authorization
 */
export function parseAcs3Authorization(header: string): Acs3Authorization | undefined {
  const match =
    /^ACS3-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
      header.trim(),
    )
  if (!match) return undefined
  const [, accessKeyId = '', names = '', signature = ''] = match
  return { accessKeyId, signedHeaders: names.split(';'), signature }
}

/** Lower-case hex SHA-256, as `x-acs-content-sha256` and the string to sign carry it. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * The canonical request: method, path, sorted encoded query, the signed headers as `name:value` lines,
 * their names joined by `;`, and the payload's hash, one per line.
 */
export function canonicalRequest(request: Acs3Request, signedHeaders: string[]): string {
  const query = Object.keys(request.query)
    .sort()
    .map((name) => `${percentEncode(name)}=${percentEncode(request.query[name] ?? '')}`)
    .join('&')
  const names = [...signedHeaders].sort()
  const headers = names.map((name) => `${name}:${(request.headers[name] ?? '').trim()}\n`).join('')
  return [
    request.method.toUpperCase(),
    canonicalPath(request.path),
    query,
    headers,
    names.join(';'),
    request.headers['x-acs-content-sha256'] ?? '',
  ].join('\n')
}

/**
 * The signature a request must carry: hex HMAC-SHA256, keyed with the secret, of
 * `ACS3-HMAC-SHA256\n<hex SHA-256 of the canonical request>`.
 * @example signAcs3(request, ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date'], secret)
 */
export function signAcs3(request: Acs3Request, signedHeaders: string[], accessKeySecret: string): string {
  const stringToSign = `${ACS3_ALGORITHM}\n${sha256Hex(canonicalRequest(request, signedHeaders))}`
  return createHmac('sha256', accessKeySecret).update(stringToSign).digest('hex')
}

/**
 * The headers a V3 request must sign whenever it carries them: `host`, `content-type` and every
 * `x-acs-*` one but the signature's own.
 */
export function headersToSign(headers: Record<string, string | undefined>): string[] {
  return Object.keys(headers)
    .filter((name) => name === 'host' || name === 'content-type' || name.startsWith('x-acs-'))
    .sort()
}

/**
 * Reads a raw query string as V3 does: `+` is a plus sign, not a space (clients encode spaces `%20`).
 * @returns undefined when an escape is malformed
 */
export function decodeQuery(search: string): Record<string, string> | undefined {
  const query: Record<string, string> = {}
  try {
    for (const pair of search.replace(/^\?/, '').split('&')) {
      if (pair === '') continue
      const at = pair.indexOf('=')
      const name = decodeURIComponent(at === -1 ? pair : pair.slice(0, at))
      query[name] = at === -1 ? '' : decodeURIComponent(pair.slice(at + 1))
    }
  } catch {
    return undefined
  }
  return query
}

// Each path segment encoded as a query value is; `/` separates them. RPC calls use `/`.
function canonicalPath(path: string): string {
  return (path || '/')
    .split('/')
    .map((segment) => percentEncode(safeDecode(segment)))
    .join('/')
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
