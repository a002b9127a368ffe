/** Builds signed `Pub` requests (signature V1 or V3) without pop-core or the SDK, for tests of the emulator and the benchmark's floor. */
import { randomUUID } from 'node:crypto'
import { DEV_CREDENTIALS } from './server.js'
import { signRpc } from './signature.js'
import { ACS3_ALGORITHM, headersToSign, sha256Hex, signAcs3 } from './signature-v3.js'

/**
 * A `Pub` request's parameters, with the common ones (fresh nonce, current time) and its signature.
 * @param parameters - Pub's own parameters; they may also override a common one, e.g. `Timestamp`
 * @example new URLSearchParams(signPubRequest({ ProductKey: 'pk', TopicFullName: '/pk/d/user/get', MessageContent: 'aGk=' }))
 */
export function signPubRequest(
  parameters: Record<string, string>,
  credentials: { accessKeyId: string; accessKeySecret: string } = DEV_CREDENTIALS,
  method = 'POST',
): Record<string, string> {
  const unsigned: Record<string, string> = {
    Action: 'Pub',
    Version: '2018-01-20',
    Format: 'JSON',
    AccessKeyId: credentials.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...parameters,
  }
  return { ...unsigned, Signature: signRpc(method, unsigned, credentials.accessKeySecret) }
}

/** A `Pub` call signed with V3, as the official SDKs send it by default: what to put on the wire. */
export interface Acs3PubCall {
  path: string
  headers: Record<string, string>
  body: string
}

/**
 * A `Pub` call signed with V3 (`ACS3-HMAC-SHA256`): Pub's parameters in a form body, the action,
 * version, date and nonce in `x-acs-*` headers, signed with `signAcs3`.
 * @param host - the `host` header the call will carry, e.g. `127.0.0.1:40123`
 * @param headers - extra headers, signed too; they may override a common one, e.g. `x-acs-date`
 * @example const call = signPubCallV3(url.host, { ProductKey: 'pk', TopicFullName: '/pk/d/user/get', MessageContent: 'aGk=' })
 */
export function signPubCallV3(
  host: string,
  parameters: Record<string, string>,
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string } = DEV_CREDENTIALS,
  headers: Record<string, string> = {},
): Acs3PubCall {
  const body = new URLSearchParams(parameters).toString().replace(/\+/g, '%20')
  const unsigned: Record<string, string> = {
    host,
    'content-type': 'application/x-www-form-urlencoded',
    'x-acs-action': 'Pub',
    'x-acs-version': '2018-01-20',
    'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': randomUUID(),
    'x-acs-content-sha256': sha256Hex(body),
    ...(credentials.securityToken && { 'x-acs-security-token': credentials.securityToken }),
    ...headers,
  }
  const signed = headersToSign(unsigned)
  const request = { method: 'POST', path: '/', query: {}, headers: unsigned, body: Buffer.from(body) }
  const signature = signAcs3(request, signed, credentials.accessKeySecret)
  return {
    path: '/',
    body,
    headers: {
      ...unsigned,
      authorization: `${ACS3_ALGORITHM} Credential=${credentials.accessKeyId},SignedHeaders=${signed.join(';')},Signature=${signature}`,
    },
  }
}
