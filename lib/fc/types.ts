/**
 * The parts of Function Compute 3.0's Node.js runtime that the gateway reads, declared here so that
 * nothing depends on another cloud's handler types.
 */

/** Temporary credentials of the function's RAM role; absent when the function has no role. */
export interface FcCredentials {
  accessKeyId: string
  accessKeySecret: string
  securityToken?: string
}

/** The second argument FC passes to a handler. FC 3.0 gives no remaining-time function. */
export interface FcContext {
  requestId: string
  credentials?: Partial<FcCredentials>
  function: { name: string; handler?: string; memory?: number; timeout: number }
  region?: string
  accountId?: string
}

/** The event FC builds for an HTTP trigger (built-in runtimes, payload version v1). */
export interface FcHttpEvent {
  version: 'v1'
  rawPath: string
  body?: string
  isBase64Encoded?: boolean
  headers?: Record<string, string>
  queryParameters?: Record<string, string>
  requestContext: {
    accountId?: string
    domainName?: string
    domainPrefix?: string
    requestId?: string
    time?: string
    timeEpoch?: string
    http: { method: string; path?: string; protocol?: string; sourceIp?: string; userAgent?: string }
  }
}

/** What a handler returns to answer an HTTP trigger. */
export interface FcHttpResponse {
  statusCode: number
  headers: Record<string, string>
  body: string
  isBase64Encoded: false
}
