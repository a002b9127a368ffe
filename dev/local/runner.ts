/**
 * The local gateway behind `npm start`: the built FC handler behind the two ways FC is reached, an
 * HTTP trigger (any path) and the invoke API `@alicloud/fc2` calls, with an embedded IoT emulator
 * unless IOT_ENDPOINT is set. Settings come from s.yaml, then local defaults, `.env`, and the shell.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildOpenApiDocument } from '../../client/openapi.js'
import { credentialsFor, type GatewayConfig, loadConfig } from '../../lib/config.js'
import { ConfigurationError } from '../../lib/errors.js'
import type { FcContext } from '../../lib/fc/types.js'
import { DEV_CREDENTIALS, IotEmulator } from '../iot-emulator/server.js'
import { layerEnvironment, readDotEnv, readFunctionSettings } from './environment.js'
import { toFcHttpEvent, writeFcHttpResponse } from './fc-http-event.js'
import { type FcCallerCredentials, verifyFcSignature } from './fc-signature.js'
import { answerLocalRoute, type LocalHealth } from './local-routes.js'
import { type LocalSettings, LocalSettingsError, readLocalSettings } from './local-settings.js'

type FcHandler = (event: Buffer, context: FcContext) => Promise<unknown>

/** How the local gateway starts. */
export interface LocalGatewayOptions {
  /** Port to listen on; 0 picks a free one. @default PORT, else 9000 */
  port?: number
  /** Address to listen on. @default HOST, else '127.0.0.1' */
  host?: string
  /** The built bundle to run. @default 'dist/gateway/index.js' */
  bundle?: string
  /** The Serverless Devs project whose settings the function gets. @default 's.yaml' */
  project?: string
  /** A dotenv file overriding s.yaml. @default '.env' */
  dotEnv?: string
}

/** A running local gateway. */
export interface LocalGateway {
  url: string
  /** The embedded emulator, absent when IOT_ENDPOINT points elsewhere. */
  emulator?: IotEmulator
  /** The environment the function runs with. */
  environment: Record<string, string>
  /** The function's name in s.yaml, which the invoke API answers to. */
  functionName: string
  /** The runner's own settings (port, logs, the emulator's start-up state). */
  settings: LocalSettings
  /** What `GET /health` answers. */
  health(): LocalHealth
  stop(): Promise<void>
}

/** The API key `npm start` accepts unless GATEWAY_API_KEYS is set; it guards nothing real. */
export const LOCAL_API_KEY = 'local-dev-key'

/** The key pair callers sign FC invoke requests with, locally; it unlocks nothing real. */
export const LOCAL_FC_CALLER: FcCallerCredentials = {
  accessKeyId: 'LTAIlocalFcCaller01',
  accessKeySecret: 'local-fc-caller-secret',
}

const INVOKE_PATH = /^\/2016-08-15\/services\/([^/]+)\/functions\/([^/]+)\/invocations$/

/**
 * Starts the emulator (when needed) and the HTTP server, after checking every setting: a setting the
 * function or the runner cannot use stops it here, naming the variable, rather than on the first request.
 * @throws LocalSettingsError or ConfigurationError naming the variable to fix
 * @example const gateway = await startLocalGateway({ port: 0 }); await fetch(gateway.url, …)
 */
export async function startLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  const settings = readFunctionSettings(options.project ?? 's.yaml')
  const dotEnv = readDotEnv(options.dotEnv ?? '.env')
  const shell = process.env as Record<string, string | undefined>
  const local = readLocalSettings(layerEnvironment(dotEnv, shell), process.stdout.isTTY === true)
  const emulator = (dotEnv.IOT_ENDPOINT ?? shell.IOT_ENDPOINT) ? undefined : startupEmulator(local)
  // No FC sits in front locally, so HTTP callers present a key even where s.yaml leaves auth to FC.
  const localDefaults = {
    GATEWAY_AUTH: 'api-key',
    GATEWAY_API_KEYS: LOCAL_API_KEY,
    ...(emulator && {
      IOT_ENDPOINT: await emulator.start(),
      ALIBABA_CLOUD_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEV_CREDENTIALS.accessKeySecret,
    }),
  }
  const environment = layerEnvironment(settings.environment, localDefaults, dotEnv, shell)
  let handler: FcHandler
  let config: GatewayConfig
  try {
    // What the function would refuse on every invocation is refused now, before anything listens.
    config = loadConfig(environment)
    credentialsFor({}, config)
    handler = loadHandler(options.bundle ?? 'dist/gateway/index.js')
  } catch (error) {
    await emulator?.stop()
    throw error
  }
  // The function reads its settings from the process environment, as on FC.
  Object.assign(process.env, environment)
  const context = (): FcContext => ({
    requestId: randomUUID(),
    function: {
      name: settings.name,
      handler: 'index.handler',
      memory: settings.memory,
      timeout: settings.timeout,
    },
    region: environment.IOT_REGION,
    accountId: 'local',
  })

  const port = options.port ?? local.port
  const health = (): LocalHealth => ({
    status: 'ok',
    function: settings.name,
    port: (server.address() as AddressInfo | null)?.port ?? port,
    iot: {
      target: emulator ? 'emulator' : 'endpoint',
      // The origin alone: an endpoint written with user:password@ keeps them out of the answer.
      endpoint: new URL(environment.IOT_ENDPOINT ?? '').origin,
    },
    auth: {
      mode: environment.GATEWAY_AUTH ?? 'api-key',
      ...(environment.GATEWAY_AUTH !== 'none' && {
        keys: environment.GATEWAY_API_KEYS === LOCAL_API_KEY ? LOCAL_API_KEY : 'GATEWAY_API_KEYS',
      }),
    },
  })

  // The deployment's own limits and the package's version, as its callers will meet them.
  const openApi = buildOpenApiDocument({
    maxBatchSize: config.maxBatchSize,
    maxPayloadBytes: config.maxPayloadBytes,
    version: packageVersion(),
  })

  const server = createServer(async (request, response) => {
    const body = await readBody(request)
    const path = new URL(request.url ?? '/', 'http://local').pathname
    if (await answerLocalRoute(request, response, path, body, health, emulator)) return
    if (request.method === 'GET' && path === '/openapi.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(openApi))
      return
    }
    const invoke = INVOKE_PATH.exec(path)
    if (request.method === 'POST' && invoke) {
      await answerInvoke(request, response, invoke[2] ?? '', settings.name, () => handler(body, context()))
      return
    }
    const event = toFcHttpEvent(request, body, 'local')
    try {
      writeFcHttpResponse(response, await handler(Buffer.from(JSON.stringify(event)), context()))
    } catch {
      // FC answers a failed HTTP invocation with 502; the handler already logged why.
      writeFcHttpResponse(response, undefined)
    }
  })
  try {
    await listen(server, port, options.host ?? local.host)
  } catch (error) {
    await emulator?.stop()
    throw error
  }
  const address = server.address() as AddressInfo

  return {
    url: `http://${address.address}:${address.port}`,
    emulator,
    environment,
    functionName: settings.name,
    settings: local,
    health,
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
      await emulator?.stop()
    },
  }
}

// The invoke API as FC serves it: signed requests, Async answered 202, function errors as 2xx with x-fc-error-type.
async function answerInvoke(
  request: IncomingMessage,
  response: ServerResponse,
  functionName: string,
  deployedName: string,
  invoke: () => Promise<unknown>,
): Promise<void> {
  const requestId = randomUUID()
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
  )
  const refusal = verifyFcSignature('POST', new URL(request.url ?? '/', 'http://local').pathname, headers, [
    LOCAL_FC_CALLER,
  ])
  if (refusal)
    return sendJson(
      response,
      refusal.status,
      { ErrorCode: refusal.code, ErrorMessage: refusal.message },
      requestId,
    )
  if (functionName !== deployedName) {
    return sendJson(
      response,
      404,
      { ErrorCode: 'FunctionNotFound', ErrorMessage: `function ${functionName} does not exist` },
      requestId,
    )
  }
  if (headers['x-fc-invocation-type']?.toLowerCase() === 'async') {
    response.writeHead(202, { 'x-fc-request-id': requestId }).end()
    // Run later, as FC's async queue does; its outcome goes to the log like any invocation's.
    setImmediate(() => void invoke().catch(() => undefined))
    return
  }
  try {
    sendJson(response, 200, await invoke(), requestId)
  } catch (error) {
    const { name = 'Error', message = String(error) } = error as Error
    sendJson(response, 200, { errorMessage: message, errorType: name }, requestId, {
      'x-fc-error-type': 'UnhandledInvocationError',
    })
  }
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  headers = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': requestId, ...headers })
  response.end(JSON.stringify(body))
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function loadHandler(bundle: string): FcHandler {
  const path = resolve(bundle)
  const require = createRequire(import.meta.url)
  // A fresh instance, as after a cold start: its settings are read anew.
  delete require.cache[path]
  try {
    return (require(path) as { handler: FcHandler }).handler
  } catch (error) {
    throw new LocalSettingsError(`Cannot load ${path}: run \`npm run build\` first`, { cause: error })
  }
}

function packageVersion(): string {
  const path = fileURLToPath(new URL('../../package.json', import.meta.url))
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
}

// The emulator as the runner's settings start it: its devices, quota and faults.
function startupEmulator(local: LocalSettings): IotEmulator {
  const emulator = new IotEmulator({ quotaQps: local.quotaQps })
  for (const [productKey, devices] of local.devices ?? []) emulator.registerProduct(productKey, devices)
  for (const { fault, span } of local.faults) emulator.inject(fault, span)
  return emulator
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        fail(
          new LocalSettingsError(
            `Port ${port} on ${host} is already in use (is another npm start running?): stop it, or set PORT to a free port, e.g. PORT=${port + 1} npm start`,
          ),
        )
      } else if (error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') {
        fail(
          new LocalSettingsError(
            `Cannot listen on ${host}:${port} (${error.code}): set PORT or HOST to another value`,
          ),
        )
      } else fail(error)
    })
    server.listen(port, host, () => done())
  })
}

/** Whether an error is a setting or start-up condition to report in one line, without a stack. */
export function isStartupProblem(error: unknown): error is Error {
  return error instanceof LocalSettingsError || error instanceof ConfigurationError
}
