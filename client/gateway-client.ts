/**
 * A typed client for services that call the gateway through Function Compute's invoke API
 * (`@alicloud/fc2`). Messages are typed from the gateway's own schema; function errors, which fc2
 * returns as ordinary answers, become typed errors.
 */
import FCClient from '@alicloud/fc2'
import type { ErrorBody } from '../lib/errors.js'
import type { PublishResult } from '../lib/iot/publisher.js'
import type { PublishMessage } from '../lib/message/schema.js'

export type { PublishMessage, PublishResult }

/** Where the gateway function is and who calls it. */
export interface GatewayClientOptions {
  /** The Alibaba Cloud account that owns the function. */
  accountId: string
  region: string
  /** The caller's RAM credentials; they need fc:InvokeFunction on the function. */
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }
  functionName: string
  /** The FC 2.0 service the function is reached under. @default 'default' */
  service?: string
  /** Overrides `https://<accountId>.<region>.fc.aliyuncs.com`, e.g. the local runner. @default undefined */
  endpoint?: string
  /** Timeout of one invocation. @default 60000 */
  timeoutMs?: number
}

/** One message's outcome in a batch: published, or refused with its error and HTTP status. */
export type BatchItemResult = PublishResult | { error: ErrorBody; status: number }

/** Publishes through the gateway. */
export interface GatewayClient {
  /** @throws GatewayRefusedError, GatewayFailedError */
  publish(message: PublishMessage): Promise<PublishResult>
  /** @throws GatewayRefusedError for the whole batch, GatewayFailedError when a retry may help */
  publishBatch(messages: PublishMessage[]): Promise<BatchItemResult[]>
}

/** The gateway refused the request; sending it again unchanged cannot succeed. */
export class GatewayRefusedError extends Error {
  readonly code: string
  readonly details: ErrorBody['details']
  readonly iotCode?: string

  constructor(error: ErrorBody) {
    super(`${error.code}: ${error.message}`)
    this.name = 'GatewayRefusedError'
    this.code = error.code
    this.details = error.details ?? []
    this.iotCode = error.iotCode
  }
}

/** The invocation failed for a reason a later retry may cure (throttling, an outage, a timeout). */
export class GatewayFailedError extends Error {
  readonly code: string

  constructor(message: string, code: string) {
    super(message)
    this.name = 'GatewayFailedError'
    this.code = code
  }
}

/**
 * A client bound to one gateway function.
 * @example
 * const gateway = createGatewayClient({ accountId, region: 'cn-shanghai', credentials, functionName: 'iot-pub-gateway' })
 * const { messageId } = await gateway.publish({ productKey: 'a1Q5XoYxxxx', deviceName: 'device1', topic: 'get', payload: { on: true } })
 */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const fc = new FCClient(options.accountId, {
    accessKeyID: options.credentials.accessKeyId,
    accessKeySecret: options.credentials.accessKeySecret,
    securityToken: options.credentials.securityToken,
    region: options.region,
    endpoint: options.endpoint,
    timeout: options.timeoutMs,
  })
  const invoke = async (event: unknown): Promise<unknown> => {
    const { headers, data } = await fc.invokeFunction(
      options.service ?? 'default',
      options.functionName,
      JSON.stringify(event),
    )
    // fc2 does not throw for a function error: FC marks it with a header on a 2xx answer.
    if (headers['x-fc-error-type']) {
      const message = String(
        (data as { errorMessage?: unknown } | undefined)?.errorMessage ?? 'The invocation failed',
      )
      throw new GatewayFailedError(message, message.split(':')[0] ?? 'InvocationFailed')
    }
    const refused = (data as { error?: ErrorBody } | undefined)?.error
    if (refused) throw new GatewayRefusedError(refused)
    return data
  }
  return {
    publish: async (message) => (await invoke(message)) as PublishResult,
    publishBatch: async (messages) =>
      ((await invoke({ messages })) as { results: BatchItemResult[] }).results,
  }
}
