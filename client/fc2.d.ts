// The part of @alicloud/fc2 (2.6.6, which ships no typings) that the gateway client uses.
declare module '@alicloud/fc2' {
  interface FCClientConfig {
    accessKeyID: string
    accessKeySecret: string
    /** Sent only when `accessKeyID` starts with `STS`. */
    securityToken?: string
    region: string
    endpoint?: string
    timeout?: number
  }
  /** Answers of 2xx: the body parsed when it is JSON, and the headers (x-fc-error-type on function errors). */
  interface FCResponse {
    headers: Record<string, string | undefined>
    data: unknown
  }
  class FCClient {
    constructor(accountId: string, config: FCClientConfig)
    /** The API version in every path and signature: '2016-08-15' unless set, '2023-03-30' for FC 3.0. */
    version: string
    /** `POST /<version><path>[?queries]`, signed; a string body is sent as application/octet-stream. */
    post(
      path: string,
      body: string | Buffer,
      headers?: Record<string, string>,
      queries?: Record<string, string> | null,
    ): Promise<FCResponse>
    invokeFunction(
      service: string,
      functionName: string,
      event: string | Buffer,
      headers?: Record<string, string>,
      qualifier?: string,
    ): Promise<FCResponse>
  }
  export = FCClient
}
