/**
 * A local stand-in for IoT Platform's `Pub` API, for development and tests. It listens on 127.0.0.1,
 * authenticates requests the way the POP gateway does (signature V1 or V3, timestamp, nonce, STS token),
 * answers with IoT's real success and error shapes, and records what it delivered.
 */
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Authenticator, type EmulatorCredentials } from './authentication.js'
import {
  applyFault,
  type Fault,
  FaultSchedule,
  type FaultSpan,
  type PendingFault,
  THROTTLE_ANSWERS,
} from './faults.js'
import { type DeliveredMessage, deviceOfTopic, isRefusal, type PubRefusal, readPub } from './pub-api.js'
import { type Acs3Request, decodeQuery } from './signature-v3.js'

export type { EmulatorCredentials } from './authentication.js'

/** How the emulator starts. */
export interface IotEmulatorOptions {
  /** Accepted credentials. @default [DEV_CREDENTIALS] */
  credentials?: EmulatorCredentials[]
  /** Instance ids that exist; when empty, any IotInstanceId is accepted. @default [] */
  instanceIds?: string[]
  /** Delay before each answer, to imitate the network. @default 0 */
  latencyMs?: number
  /** Pub calls accepted per one-second window, like the account quota; unlimited when absent. */
  quotaQps?: number
}

/** The emulator's settings and counters, as `describe()` reports them. */
export interface EmulatorState {
  /** Declared products and their devices, or `any` while none is declared. */
  products: Record<string, string[]> | 'any'
  /** Pub calls accepted per second, or null for no quota. */
  quotaQps: number | null
  /** Injected faults still to come. */
  faults: PendingFault[]
  calls: number
  delivered: number
  throttled: number
}

/** The credentials `npm start` and the tests use with the emulator; they unlock nothing real. */
export const DEV_CREDENTIALS: EmulatorCredentials = {
  accessKeyId: 'LTAIemulatorDevKey01',
  accessKeySecret: 'emulator-dev-secret-not-for-production',
}

const API_VERSION = '2018-01-20'
const HOST_ID = 'iot.emulator.local'
const FIRST_MESSAGE_ID = 1_889_455_942_124_347_329n

/** The emulator; `message` events carry each `DeliveredMessage`. */
export class IotEmulator extends EventEmitter<{ message: [DeliveredMessage]; throttled: [] }> {
  /** Every message delivered, in order. */
  readonly delivered: DeliveredMessage[] = []
  /** TCP connections accepted, to check that callers keep theirs alive. */
  connections = 0
  /** Requests answered, whatever the answer. */
  calls = 0
  /** Requests refused with a throttling code because of the quota. */
  throttled = 0
  /** Method and URL of every request, to check that nothing secret travels in a URL. */
  readonly requests: { method: string; url: string }[] = []

  readonly #authenticator = new Authenticator()
  readonly #instanceIds: Set<string>
  readonly #products = new Map<string, Set<string>>()
  readonly #latencyMs: number
  readonly #faults = new FaultSchedule()
  #quotaQps: number | undefined
  #window = { second: 0, calls: 0 }
  #nextMessageId = FIRST_MESSAGE_ID
  #server: Server | undefined
  #url = ''

  constructor(options: IotEmulatorOptions = {}) {
    super()
    for (const credentials of options.credentials ?? [DEV_CREDENTIALS]) this.addCredentials(credentials)
    this.#instanceIds = new Set(options.instanceIds ?? [])
    this.#latencyMs = options.latencyMs ?? 0
    this.#quotaQps = options.quotaQps
  }

  /** The base URL, e.g. `http://127.0.0.1:40123`, once started. */
  get url(): string {
    return this.#url
  }

  /** Accepts another AccessKey pair or STS credentials. */
  addCredentials(credentials: EmulatorCredentials): void {
    this.#authenticator.add(credentials)
  }

  /**
   * Declares a product and its devices. Once any product is declared, others do not exist; until then
   * every product and device does.
   */
  registerProduct(productKey: string, deviceNames: string[]): void {
    this.#products.set(productKey, new Set(deviceNames))
  }

  /**
   * Fails requests with `fault` for the next request, N requests or a duration.
   * @example emulator.inject(FAULTS.serviceUnavailable, { times: 3 })
   */
  inject(fault: Fault, span?: FaultSpan): void {
    this.#faults.add(fault, span)
  }

  /** Forgets injected faults. */
  clearFaults(): void {
    this.#faults.clear()
  }

  /** Forgets every declared product: every product and device exists again. */
  clearProducts(): void {
    this.#products.clear()
  }

  /** What the emulator is set to do, and what it did, for a person steering it. */
  describe(): EmulatorState {
    return {
      products:
        this.#products.size === 0
          ? 'any'
          : Object.fromEntries(
              [...this.#products].map(([productKey, devices]) => [productKey, [...devices]]),
            ),
      quotaQps: this.#quotaQps ?? null,
      faults: this.#faults.pending(),
      calls: this.calls,
      delivered: this.delivered.length,
      throttled: this.throttled,
    }
  }

  /** Changes the quota; undefined lifts it. */
  setQuota(quotaQps: number | undefined): void {
    this.#quotaQps = quotaQps
  }

  /** Listens on 127.0.0.1 (port 0 picks a free one) and resolves with the base URL. */
  async start(port = 0): Promise<string> {
    const server = createServer((request, response) => void this.#answer(request, response))
    server.on('connection', () => this.connections++)
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    this.#server = server
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return this.#url
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    const server = this.#server
    if (!server) return
    this.#server = undefined
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  async #answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.calls++
    this.requests.push({ method: request.method ?? '', url: request.url ?? '' })
    const call = await readCall(request)
    const fault = this.#faults.next()
    if (fault && fault.kind !== 'delay') {
      applyFault(fault, request, response)
      return
    }
    const requestId = randomUUID().toUpperCase()
    const outcome = this.#handle(call)
    const latency = this.#latencyMs + (fault?.kind === 'delay' ? fault.ms : 0)
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency))
    if (outcome === 'throttled') {
      this.emit('throttled')
      applyFault(THROTTLE_ANSWERS[this.throttled++ % THROTTLE_ANSWERS.length] as Fault, request, response)
      return
    }
    if (isRefusal(outcome)) {
      const body =
        outcome.status === 200
          ? { RequestId: requestId, Success: false, Code: outcome.code, ErrorMessage: outcome.message }
          : { RequestId: requestId, HostId: HOST_ID, Code: outcome.code, Message: outcome.message }
      send(response, outcome.status, JSON.stringify(body))
      return
    }
    // MessageId is written as a bare number above 2^53, exactly as IoT Platform does.
    send(response, 200, `{"RequestId":"${requestId}","Success":true,"MessageId":${outcome.messageId}}`)
  }

  #handle(call: Call): DeliveredMessage | PubRefusal | 'throttled' {
    if (!call.acs3) return refuse(400, 'InvalidQueryString', 'The query string is not valid.')
    const { parameters } = call
    const refusal =
      (Authenticator.isAcs3(call.acs3.headers)
        ? this.#authenticator.v3(call.acs3)
        : this.#authenticator.v1(call.acs3.method, parameters)) ?? this.#checkAction(parameters)
    if (refusal) return refusal
    if (this.#overQuota()) return 'throttled'
    const read = readPub(parameters)
    if (isRefusal(read)) return read
    const unknown = this.#findUnknown(read.productKey, read.topicFullName, read.iotInstanceId)
    if (unknown) return unknown
    const message = { ...read, messageId: String(this.#nextMessageId++) }
    this.delivered.push(message)
    this.emit('message', message)
    return message
  }

  // Fixed one-second windows, as a per-second quota counts.
  #overQuota(): boolean {
    if (this.#quotaQps === undefined) return false
    const second = Math.floor(Date.now() / 1_000)
    if (second !== this.#window.second) this.#window = { second, calls: 0 }
    this.#window.calls++
    return this.#window.calls > this.#quotaQps
  }

  #checkAction(parameters: Record<string, string>): PubRefusal | undefined {
    if (parameters.Version !== API_VERSION)
      return refuse(400, 'InvalidVersion', 'Specified parameter Version is not valid.')
    if (parameters.Action !== 'Pub')
      return refuse(404, 'InvalidAction.NotFound', 'Specified api is not found.')
    return undefined
  }

  #findUnknown(productKey: string, topic: string, instanceId: string | undefined): PubRefusal | undefined {
    if (instanceId !== undefined && this.#instanceIds.size > 0 && !this.#instanceIds.has(instanceId)) {
      return refuse(200, 'iot.system.InstanceNotFound', 'The instance is not found.')
    }
    if (this.#products.size === 0) return undefined
    const devices = this.#products.get(productKey)
    if (!devices) return refuse(200, 'iot.prod.NotExistedProduct', 'The specified product does not exist.')
    const device = deviceOfTopic(productKey, topic)
    if (device !== undefined && !devices.has(device)) {
      return refuse(200, 'iot.device.NotExistedDevice', 'The specified device does not exist.')
    }
    return undefined
  }
}

function refuse(status: number, code: string, message: string): PubRefusal {
  return { status, code, message }
}

// What a call carries, read once: its parameters for Pub, and for V3 the parts its signature covers.
interface Call {
  parameters: Record<string, string>
  /** Undefined when the query string cannot be decoded. */
  acs3?: Acs3Request
}

// RPC parameters arrive in the query (GET) or as a form body (POST); V3 names the action and version
// in headers rather than parameters.
async function readCall(request: IncomingMessage): Promise<Call> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  const url = new URL(request.url ?? '/', 'http://emulator')
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(',') : value,
    ]),
  )
  const query = decodeQuery(url.search)
  const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')))
  const named: Record<string, string> = Authenticator.isAcs3(headers)
    ? { Action: headers['x-acs-action'] ?? '', Version: headers['x-acs-version'] ?? '' }
    : {}
  return {
    parameters: { ...query, ...form, ...named },
    acs3: query && { method: request.method ?? 'GET', path: url.pathname, query, headers, body },
  }
}

function send(
  response: ServerResponse,
  status: number,
  body: string,
  contentType = 'application/json;charset=utf-8',
): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  })
  response.end(body)
}
