/**
 * InvokeFunction calls that reach the handler as an HTTP event. A function with an HTTP trigger has
 * been seen to receive FC's invoke API calls (`POST /2023-03-30/functions/<name>/invocations` on
 * `<accountId>.<region>.fc.aliyuncs.com`) in the HTTP trigger's `version: "v1"` shape. FC authenticated
 * such a caller with RAM before the function ran, so the gateway treats it as the direct invocation it
 * is: any content type, no API key, and a failed invocation when a retry could help.
 *
 * Only what FC itself sets decides it: `requestContext.domainName`, the host FC routed the request by,
 * checked against the account and region FC runs the function in. Everything a caller of the public
 * trigger URL controls is ignored: the path (anyone can POST to `<trigger-url>/2023-03-30/...`), the
 * `Host`, `X-Forwarded-Host`, `X-Acs-Action` and `Authorization` headers. That FC fills `domainName` from
 * its own routing and never from a caller's `Host` header is unverified on a live account.
 */
import type { FcContext, FcHttpEvent } from '../fc/types.js'
import { type ParsedJson, tryParseJson } from './json.js'

/** What FC says of the running function, from its context: the account and region. */
export type InvocationOrigin = Pick<FcContext, 'accountId' | 'region'>

// FC 3.0's invoke path; FC 2.0's, for functions reached under a service, as well.
const INVOKE_PATH =
  /^\/(?:2023-03-30\/functions\/[^/?#]+|2016-08-15\/services\/[^/?#]+\/functions\/[^/?#]+)\/invocations$/
const ACCOUNT = /^\d+$/
const REGION = /^[a-z]+(?:-[a-z0-9]+)+$/

/**
 * Whether an HTTP event is an InvokeFunction call made through FC's own API domain. Closed when FC's
 * context does not name the account and region: the event cannot vouch for itself.
 * @param origin - the context's account and region
 */
export function isInvokeApiEvent(event: FcHttpEvent, origin: InvocationOrigin = {}): boolean {
  // The path first: it rules out an ordinary trigger request at the least cost.
  const { rawPath } = event
  if (typeof rawPath !== 'string' || !rawPath.startsWith('/20') || !INVOKE_PATH.test(rawPath)) return false
  const { accountId, region } = origin
  if (accountId === undefined || !ACCOUNT.test(accountId)) return false
  if (region === undefined || !REGION.test(region)) return false
  const { requestContext } = event
  // FC sets both; an event whose account is missing or differs from the context's is not FC's.
  if (requestContext.accountId !== accountId) return false
  if (requestContext.http.method.toUpperCase() !== 'POST') return false
  return isApiDomain(requestContext.domainName, accountId, region)
}

// `<accountId>.<region>.fc.aliyuncs.com`, or `<accountId>.<region>-internal.fc.aliyuncs.com` from a VPC.
// Compared in ASCII: toLowerCase would fold look-alikes such as U+212A (Kelvin) into `k`.
function isApiDomain(domainName: string | undefined, accountId: string, region: string): boolean {
  if (typeof domainName !== 'string' || !/^[\x21-\x7e]+$/.test(domainName)) return false
  const [account, regionLabel, ...rest] = domainName.toLowerCase().split('.')
  if (account !== accountId || rest.join('.') !== 'fc.aliyuncs.com' || regionLabel === undefined) return false
  return regionLabel === region || regionLabel === `${region}-internal`
}

/**
 * The invocation payload such an event carries: its body, decoded from base64 when FC encoded it. Any
 * content type is accepted (fc2 and FC's SDK both send `application/octet-stream`).
 */
export function readInvokeApiPayload(event: FcHttpEvent): ParsedJson {
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : (event.body ?? '')
  return tryParseJson(body, 'The invocation payload')
}
