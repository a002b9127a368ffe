// The part of @alicloud/fc2 (2.6.6, which ships no typings) that the gateway client uses.
declare module '@alicloud/fc2' {
  interface FCClientConfig {
    accessKeyID: string
    accessKeySecret: string
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
    invokeFunction(
      service: string,
      functionName: string,
      event: string | Buffer,
      headers?: Record<string, string>,
    ): Promise<FCResponse>
  }
  export = FCClient
}
