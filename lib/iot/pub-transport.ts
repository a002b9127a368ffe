/**
 * The HTTP transport pop-core's RPC client is given in the bundle (scripts/build.mjs swaps it in for
 * httpx; the client calls only `request` and `read`). pop-core still builds and signs every call; this
 * module only carries it, under one time limit for the whole call (DNS lookup, connect, TLS, write
 * and read together: httpx restarted its timer at connect), with the answer's size capped, and with the
 * request and its socket destroyed whenever a call ends without a complete answer. Each failure says
 * whether the request may have reached IoT Platform, which decides how often it may be repeated.
 */
import {
  type ClientRequest,
  type Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'

/** The largest answer read: a Pub answer is about 100 bytes, an error quoting a signed query a few KB. */
export const MAX_RESPONSE_BYTES = 64 * 1024

// pop-core's own default when it is given no timeout.
const DEFAULT_LIMIT_MS = 3_000

/** What pop-core passes to httpx's `request`, the fields this transport reads. */
export interface TransportOptions {
  method?: string
  headers?: Record<string, string>
  /** The signed form body. */
  data?: string
  agent?: HttpAgent
  /** Milliseconds the whole call may take, from now until the answer is read. */
  timeout?: number
}

/**
 * A call that ended without a complete answer. `code` is Node's (`ENOTFOUND`, `ECONNRESET`,
 * `DEPTH_ZERO_SELF_SIGNED_CERT`, `HPE_INVALID_CONSTANT`…) or this module's (`ConnectTimeout`,
 * `ResponseTimeout`, `ResponseTooLarge`, `InvalidResponse`, `NetworkError`).
 */
export class PubExchangeError extends Error {
  override name = 'PubExchangeError'
  readonly code: string
  /**
   * False only when the request cannot have reached IoT: the connection (and its TLS handshake) never
   * completed, so no byte of it was sent.
   */
  readonly maybeDelivered: boolean
  /** The answer's HTTP status, when one came. */
  readonly statusCode?: number
  /** The answer's Retry-After header, when one came. */
  readonly retryAfter?: string

  constructor(
    code: string,
    maybeDelivered: boolean,
    options: { cause?: unknown; answer?: IncomingMessage } = {},
  ) {
    super(`Pub call failed: ${code}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.maybeDelivered = maybeDelivered
    this.statusCode = options.answer?.statusCode
    const retryAfter = options.answer?.headers['retry-after']
    if (typeof retryAfter === 'string') this.retryAfter = retryAfter
  }
}

/** One call in flight: its timer, and the promise (request's, then read's) a failure must reject. */
class Exchange {
  readonly #request: ClientRequest
  readonly #timer: NodeJS.Timeout
  #answer: IncomingMessage | undefined
  #connected = false
  #failure: PubExchangeError | undefined
  #complete = false
  #reject: ((error: PubExchangeError) => void) | undefined

  constructor(request: ClientRequest, limitMs: number) {
    this.#request = request
    this.#timer = setTimeout(
      () =>
        this.fail(
          new PubExchangeError(this.#connected ? 'ResponseTimeout' : 'ConnectTimeout', this.#connected),
        ),
      limitMs,
    )
    request.once('socket', (socket: Socket) => {
      // A kept-alive socket is connected already; a new one is once TCP (and TLS) completes.
      if (request.reusedSocket) this.#connected = true
      else socket.once('encrypted' in socket ? 'secureConnect' : 'connect', () => (this.#connected = true))
    })
  }

  /** Whether the request may have reached IoT by now. */
  get connected(): boolean {
    return this.#connected
  }

  /** Where a failure goes next: the pending request's or read's promise. */
  awaitFailure(reject: (error: PubExchangeError) => void): void {
    if (this.#failure) reject(this.#failure)
    else this.#reject = reject
  }

  answered(answer: IncomingMessage): void {
    this.#answer = answer
  }

  /** Ends the call without an answer: nothing of it keeps running or streaming in. */
  fail(error: PubExchangeError): void {
    if (this.#failure || this.#complete) return
    this.#failure = error
    clearTimeout(this.#timer)
    this.#answer?.destroy()
    this.#request.destroy()
    this.#reject?.(error)
  }

  /** The answer was read whole: the socket goes back to the keep-alive pool. */
  complete(): void {
    this.#complete = true
    clearTimeout(this.#timer)
  }

  get failed(): boolean {
    return this.#failure !== undefined
  }
}

const exchanges = new WeakMap<IncomingMessage, Exchange>()

/**
 * Sends one signed call and resolves with the answer's head; `read` must follow.
 * @param url - the endpoint pop-core built (`https://iot.cn-shanghai.aliyuncs.com/` for POST)
 */
export function request(url: string, options: TransportOptions = {}): Promise<IncomingMessage> {
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  const outgoing = send(target, {
    method: options.method ?? 'GET',
    headers: options.headers,
    agent: options.agent,
  })
  const exchange = new Exchange(outgoing, options.timeout ?? DEFAULT_LIMIT_MS)
  return new Promise((resolve, reject) => {
    exchange.awaitFailure(reject)
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      exchange.fail(new PubExchangeError(nativeCode(error), exchange.connected, { cause: error })),
    )
    outgoing.on('response', (answer: IncomingMessage) => {
      exchange.answered(answer)
      exchanges.set(answer, exchange)
      const length = Number(answer.headers['content-length'])
      if (length > MAX_RESPONSE_BYTES)
        exchange.fail(new PubExchangeError('ResponseTooLarge', true, { answer }))
      else resolve(answer)
    })
    outgoing.end(options.data)
  })
}

/**
 * Reads the answer's body whole, within the call's time limit and `MAX_RESPONSE_BYTES`. Pub answers
 * with a JSON object and is never asked to compress it: anything else is not IoT's answer.
 */
export function read(answer: IncomingMessage): Promise<Buffer> {
  const exchange = exchanges.get(answer)
  if (!exchange) return Promise.reject(new PubExchangeError('NetworkError', true))
  return new Promise((resolve, reject) => {
    exchange.awaitFailure(reject)
    if (exchange.failed) return
    const chunks: Buffer[] = []
    let size = 0
    answer.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_RESPONSE_BYTES) exchange.fail(new PubExchangeError('ResponseTooLarge', true, { answer }))
      else chunks.push(chunk)
    })
    answer.on('error', (error: NodeJS.ErrnoException) =>
      exchange.fail(new PubExchangeError(nativeCode(error), true, { cause: error, answer })),
    )
    answer.on('end', () => {
      const body = Buffer.concat(chunks, size)
      if (!isJsonObject(answer, body)) {
        exchange.fail(new PubExchangeError('InvalidResponse', !processedNothing(answer), { answer }))
        return
      }
      exchange.complete()
      resolve(body)
    })
  })
}

// Node's code for the failure, or a name for one without (a socket closed mid-answer, say).
function nativeCode(error: NodeJS.ErrnoException): string {
  return typeof error.code === 'string' && error.code !== '' ? error.code : 'NetworkError'
}

// Pub's answers, successes and refusals alike, are JSON objects, sent uncompressed since none was asked.
function isJsonObject(answer: IncomingMessage, body: Buffer): boolean {
  const encoding = answer.headers['content-encoding']
  if (encoding !== undefined && encoding !== 'identity') return false
  for (const byte of body) {
    if (byte === 0x7b) return true // {
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false
  }
  return false
}

// HTTP's own word that the request was not processed: 503 (unavailable) and 429 (too many requests).
function processedNothing(answer: IncomingMessage): boolean {
  return answer.statusCode === 503 || answer.statusCode === 429
}
