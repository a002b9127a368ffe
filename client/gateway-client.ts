/**
 * A typed client for services that publish through the gateway with Function Compute's invoke API
 * (FC 3.0's 2023-03-30 path, through `@alicloud/fc2`). Messages are typed from the gateway's own
 * schema; every failure becomes one of the client's three errors, each saying whether a retry may help.
 */
import type { ErrorBody } from '../lib/errors.js'
import type { PublishResult } from '../lib/iot/publish-result.js'
import type { PublishMessage } from '../lib/message/schema.js'
import { GatewayFailedError, GatewayRefusedError } from './errors.js'
import { createInvoker, type InvokeAnswer } from './fc-invoke.js'

export {
  type GatewayClientError,
  GatewayFailedError,
  GatewayRefusedError,
  InvocationDeniedError,
} from './errors.js'
export { fcEndpoint } from './fc-invoke.js'
export type { PublishMessage, PublishResult }

/** Where the gateway function is and who calls it. */
export interface GatewayClientOptions {
  /** The Alibaba Cloud account that owns the function (its digits). */
  accountId: string
  /** The function's region, e.g. `cn-shanghai`. */
  region: string
  /** The caller's RAM credentials; they need `fc:InvokeFunction` on the function. */
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }
  functionName: string
  /** A version or alias of the function. @default undefined (LATEST) */
  qualifier?: string
  /**
   * Only for a function that still lives in an FC 2.0 service: calls the 2016-08-15 path with this
   * service name. @default undefined (FC 3.0's 2023-03-30 path)
   */
  service?: string
  /** Overrides `https://<accountId>.<region>.fc.aliyuncs.com`, e.g. the local runner. @default undefined */
  endpoint?: string
  /** The gateway's `MAX_BATCH_SIZE`: `publishBatch` sends longer arrays in invocations of this many. @default 100 */
  maxBatchSize?: number
  /** Timeout of one invocation. @default 60000 */
  timeoutMs?: number
  /**
   * Receives the tail of the function's log (up to 4 KB) after each synchronous invocation; given, the
   * client asks for it with `x-fc-log-type: Tail`. @default undefined (`x-fc-log-type: None`)
   */
  onLog?: (log: string, fcRequestId: string | undefined) => void
}

/** One message's outcome in a batch: published, or refused with its error and HTTP status. */
export type BatchItemResult = PublishResult | { error: ErrorBody; status: number }

/** FC's receipt for an asynchronous invocation: it has been queued, not yet run. */
export interface QueuedInvocation {
  /** FC's `x-fc-request-id` of the invocation, to find it in the function's logs. */
  fcRequestId: string | undefined
}

/** Publishes through the gateway. */
export interface GatewayClient {
  /**
   * Publishes one message and waits for IoT's ids.
   * @throws GatewayRefusedError, GatewayFailedError, InvocationDeniedError
   */
  publish(message: PublishMessage): Promise<PublishResult>
  /**
   * Publishes a batch and returns a result per message, in order. An array over `maxBatchSize` goes in
   * consecutive invocations of at most that many; when one fails after others published, its messages
   * and those after it get that failure as their result, so that what was published is not lost.
   * @throws GatewayRefusedError for the whole batch, GatewayFailedError when a retry may help, InvocationDeniedError
   *   (only when nothing was published)
   */
  publishBatch(messages: PublishMessage[]): Promise<BatchItemResult[]>
  /**
   * Queues a message or a batch with `x-fc-invocation-type: Async`: FC runs it later and retries a
   * failed run as the function's `asyncInvokeConfig` says (3 times by default).
   * @throws GatewayFailedError, InvocationDeniedError when FC does not take the invocation
   */
  publishAsync(messages: PublishMessage | PublishMessage[]): Promise<QueuedInvocation>
}

/**
 * A client bound to one gateway function.
 * @example
 * const gateway = createGatewayClient({ accountId, region: 'cn-shanghai', credentials, functionName: 'iot-pub-gateway' })
 * const { messageId } = await gateway.publish({ productKey: 'a1Q5XoYxxxx', deviceName: 'device1', topic: 'get', payload: { on: true } })
 */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const invoke = createInvoker(options)
  const logType = options.onLog ? 'Tail' : 'None'
  const invokeSync = async (event: unknown): Promise<unknown> => {
    const answer = await invoke({ payload: JSON.stringify(event), invocationType: 'Sync', logType })
    const fcRequestId = answer.headers['x-fc-request-id']
    const log = answer.headers['x-fc-log-result']
    if (options.onLog && log) options.onLog(Buffer.from(log, 'base64').toString('utf8'), fcRequestId)
    return readResult(answer, fcRequestId)
  }
  return {
    publish: async (message) => {
      const result = (await invokeSync(message)) as Partial<PublishResult> | undefined
      if (typeof result?.messageId !== 'string') throw notTheGateways()
      return result as PublishResult
    },
    publishBatch: async (messages) => {
      const size = options.maxBatchSize ?? 100
      const results: BatchItemResult[] = []
      for (let start = 0; start < messages.length || start === 0; start += size) {
        const chunk = messages.slice(start, start + size)
        try {
          const answer = ((await invokeSync({ messages: chunk })) ?? {}) as { results?: unknown }
          if (!Array.isArray(answer.results) || answer.results.length !== chunk.length) throw notTheGateways()
          results.push(...(answer.results as BatchItemResult[]))
        } catch (error) {
          if (start === 0) throw error
          const failure = asItemResult(error)
          return [...results, ...messages.slice(start).map(() => failure)]
        }
      }
      return results
    },
    publishAsync: async (messages) => {
      const event = Array.isArray(messages) ? { messages } : messages
      const answer = await invoke({
        payload: JSON.stringify(event),
        invocationType: 'Async',
        logType: 'None',
      })
      return { fcRequestId: answer.headers['x-fc-request-id'] }
    },
  }
}

// The function's result: fc2 parses it only when FC labels it JSON, and returns function errors as answers.
function readResult({ headers, data }: InvokeAnswer, fcRequestId: string | undefined): unknown {
  const result = typeof data === 'string' ? parseOrKeep(data) : data
  if (headers['x-fc-error-type']) {
    const errorMessage = (result as { errorMessage?: unknown } | null | undefined)?.errorMessage
    const message = typeof errorMessage === 'string' ? errorMessage : 'The invocation failed'
    // The gateway fails an invocation with "<Code>: <message>".
    const code = /^([A-Za-z][\w.]*):/.exec(message)?.[1] ?? String(headers['x-fc-error-type'])
    throw new GatewayFailedError(message, code, { fcRequestId })
  }
  const refused = (result as { error?: unknown } | null | undefined)?.error
  if (refused !== undefined) {
    if (!isErrorBody(refused)) throw notTheGateways(fcRequestId)
    throw new GatewayRefusedError(refused)
  }
  return result
}

// A chunk's failure as each of its messages' result. Refusals keep their code; the status follows it.
function asItemResult(error: unknown): BatchItemResult {
  if (error instanceof GatewayRefusedError) {
    const status = { Forbidden: 403, PayloadTooLarge: 413 }[error.code] ?? 400
    return { error: { code: error.code, message: error.message, details: error.details }, status }
  }
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  return {
    error: { code: typeof code === 'string' ? code : 'InvocationFailed', message, details: [] },
    status: 503,
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  const body = value as Partial<ErrorBody> | null
  return typeof body?.code === 'string' && typeof body.message === 'string'
}

// A 200 whose body is not the gateway's answer (a proxy's page, another function): nothing says
// whether the message was published.
function notTheGateways(fcRequestId?: string): GatewayFailedError {
  return new GatewayFailedError(
    'Function Compute answered with a result that is not the gateway’s; the message may have been published',
    'InvalidResponse',
    { fcRequestId },
  )
}

function parseOrKeep(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
