/**
 * Alibaba Cloud RPC signature version 1.0, written from the published specification (not from
 * pop-core) so that the emulator checks the SDK rather than agreeing with it by construction.
 */
import { createHmac } from 'node:crypto'

/** RFC 3986 percent-encoding as the spec wants it: unreserved characters kept, `!'()*` encoded too. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/** `METHOD&%2F&percentEncode(sorted, encoded k=v pairs joined by &)`; `Signature` itself is left out. */
export function stringToSign(method: string, parameters: Record<string, string>): string {
  const canonical = Object.keys(parameters)
    .filter((name) => name !== 'Signature')
    .sort()
    .map((name) => `${percentEncode(name)}=${percentEncode(parameters[name] ?? '')}`)
    .join('&')
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonical)}`
}

/**
 * The signature a request with these parameters must carry.
 * @example signRpc('GET', params, 'testsecret')
 */
export function signRpc(method: string, parameters: Record<string, string>, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign(method, parameters)).digest('base64')
}
