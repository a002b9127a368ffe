/**
 * Publishes to IoT Platform through `@alicloud/pop-core`, which signs each call; in the bundle it sends
 * through `pub-transport.ts`, under one time limit per call. One keep-alive agent serves the whole
 * instance; credentials are taken per invocation because the role's STS credentials rotate.
 */
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
// The RPC client alone: pop-core's index also loads the ROA client and xml2js, which Pub never needs.
import RPCClient from '@alicloud/pop-core/lib/rpc.js'
import { UpstreamTimeoutError, UpstreamUnavailableError } from '../errors.js'
import type { FcCredentials } from '../fc/types.js'
import { translatePubError } from './pub-errors.js'
import type { PubParameters } from './pub-parameters.js'

import type { PublishResult } from './publish-result.js'

const IOT_API_VERSION = '2018-01-20'

export type { PublishResult } from './publish-result.js'

/** Options of one `Pub` call. */
export interface PublishOptions {
  /** Time limit of this whole call, shorter than the configured one near the deadline. */
  timeoutMs?: number
}

/** Sends one `Pub` call; the seam tests and the retry layer wrap. */
export interface Publisher {
  publish(parameters: PubParameters, options?: PublishOptions): Promise<PublishResult>
}

/** Where and how to reach IoT Platform. */
export interface IotPublisherOptions {
  endpoint: string
  credentials: FcCredentials
  timeoutMs: number
}

interface PubResponse {
  RequestId?: unknown
  Success?: unknown
  MessageId?: unknown
}

// pop-core's typings omit credentialsProvider, which it calls before every request.
type RpcClientConfig = ConstructorParameters<typeof RPCClient>[0]

const agents = {
  'http:': new HttpAgent({ keepAlive: true }),
  'https:': new HttpsAgent({ keepAlive: true }),
}

// The last publisher made: warm invocations with the same credentials reuse it rather than build a client.
let last: { options: IotPublisherOptions; publisher: Publisher } | undefined

/**
 * A publisher bound to one invocation's credentials, sharing the instance's keep-alive connection.
 * Credentials that changed (STS rotation) get a new client at once.
 * @example await createIotPublisher({ endpoint, credentials, timeoutMs: 5000 }).publish(parameters)
 */
export function createIotPublisher(options: IotPublisherOptions): Publisher {
  if (last === undefined || !sameLink(last.options, options))
    last = { options, publisher: newPublisher(options) }
  return last.publisher
}

function sameLink(a: IotPublisherOptions, b: IotPublisherOptions): boolean {
  return (
    a.endpoint === b.endpoint &&
    a.timeoutMs === b.timeoutMs &&
    a.credentials.accessKeyId === b.credentials.accessKeyId &&
    a.credentials.accessKeySecret === b.credentials.accessKeySecret &&
    a.credentials.securityToken === b.credentials.securityToken
  )
}

function newPublisher(options: IotPublisherOptions): Publisher {
  const { credentials } = options
  const client = new RPCClient({
    endpoint: options.endpoint,
    apiVersion: IOT_API_VERSION,
    credentialsProvider: { getCredentials: async () => credentials },
  } as unknown as RpcClientConfig)
  const agent = options.endpoint.startsWith('https:') ? agents['https:'] : agents['http:']

  return {
    async publish(parameters, call = {}) {
      // POST keeps the token and signature out of the URL, which pop-core copies into its error messages.
      // Names are already spelled as IoT's API has them: pop-core need not capitalise them again.
      const requestOptions = {
        method: 'POST',
        timeout: call.timeoutMs ?? options.timeoutMs,
        agent,
        formatAction: false,
        formatParams: false,
      }
      let response: PubResponse
      try {
        response = await client.request<PubResponse>('Pub', parameters, requestOptions)
      } catch (thrown) {
        throw translatePubError(thrown)
      }
      return toResult(response)
    },
  }
}

// pop-core throws only when the body has a Code; a bare Success:false still means nothing was published.
// Any other answer without a MessageId (Success:true alone, an empty object) came after the request
// was processed: the message may have gone out, so it counts against PUB_MAYBE_SENT_RETRIES.
function toResult(response: PubResponse): PublishResult {
  const requestId = typeof response.RequestId === 'string' ? response.RequestId : ''
  if (response.Success === false) throw new UpstreamUnavailableError('SuccessFalse', { requestId })
  if (response.Success !== true || response.MessageId === undefined || response.MessageId === null) {
    const unconfirmed = new UpstreamTimeoutError('MissingMessageId', { requestId })
    unconfirmed.mayHavePublished = true
    throw unconfirmed
  }
  return { messageId: String(response.MessageId), requestId }
}
