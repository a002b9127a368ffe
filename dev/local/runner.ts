/**
 * The local gateway behind `npm start`: the built FC handler behind the two ways FC is reached, an
 * HTTP trigger (any path) and FC's invoke API (2023-03-30, and 2016-08-15 for FC 2.0 services), with an
 * embedded IoT emulator unless IOT_ENDPOINT is set. Settings come from s.yaml, then local defaults,
 * `.env`, and the shell. Each invocation has one request id: in the event, the context, the logs and
 * the `x-fc-request-id` answer header.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildOpenApiDocument } from '../../client/openapi.js'
import { credentialsFor, loadConfig } from '../../lib/config.js'
import { ConfigurationError } from '../../lib/errors.js'
import type { FcContext } from '../../lib/fc/types.js'
import { DEV_CREDENTIALS, IotEmulator } from '../iot-emulator/server.js'
import { layerEnvironment, readDotEnv, readFunctionSettings } from './environment.js'
import { toFcHttpEvent, writeFcHttpResponse } from './fc-http-event.js'
import type { FcCallerCredentials } from './fc-signature.js'
import { answerInvoke, matchInvokePath } from './invoke-api.js'
import { answerLocalRoute, type LocalHealth } from './local-routes.js'
import { type LocalSettings, LocalSettingsError, readLocalSettings } from './local-settings.js'

type FcHandler = (event: Buffer, context: FcContext) => Promise<unknown>

/** How the local gateway starts. */
export interface LocalGatewayOptions {
  /** Port to listen on; 0 picks a free one. @default PORT from the shell, else from `.env`, else 9000 */
  port?: number
  /**
   * Address to listen on. @default IOT_PUB_LOCAL_HOST from the shell or `.env`, else '127.0.0.1' (never the
   * generic HOST, which other tools export, often as 0.0.0.0: the runner accepts published keys)
   */
  host?: string
  /** The built bundle to run. @default 'dist/gateway/index.js' */
  bundle?: string
  /** The Serverless Devs project whose settings the function gets. @default 's.yaml' */
  project?: string
  /** A dotenv file overriding s.yaml. @default '.env' */
  dotEnv?: string
  /**
   * How InvokeFunction calls reach the function: as an HTTP event, as FC was seen to deliver them to a
   * function with an HTTP trigger, or as the payload alone. @default 'http-event' when s.yaml has an
   * HTTP trigger, else 'payload'
   */
  invokeDelivery?: 'http-event' | 'payload'
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
  /** The account id the local invoke API stands for. */
  accountId: string
  /** The function's region in s.yaml. */
  region: string
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

/** The account the local invoke API answers for (any accountId a caller names reaches it). */
export const LOCAL_ACCOUNT_ID = '1234567890'

// A request whose Host names FC's API domain goes to the invoke API, as FC routes by host.
const API_HOST = /^\d+\.[a-z0-9-]+\.fc\.aliyuncs\.com(:\d+)?$/i

/**
 * Starts the emulator (when needed) and the HTTP server, after checking every setting: a setting the
 * function or the runner cannot use stops it here, naming the variable, rather than on the first request.
 * @throws LocalSettingsError or ConfigurationError naming the variable to fix
 * @example const gateway = await startLocalGateway({ port: 0 }); await fetch(gateway.url, …)
 */
export async function startLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  const dotEnv = readDotEnv(options.dotEnv ?? '.env')
  const shell = process.env as Record<string, string | undefined>
  // s.yaml's ${env('X')} is rendered from the .env file and the shell, as `s deploy` does.
  const settings = readFunctionSettings(options.project ?? 's.yaml', { ...dotEnv, ...shell })
  const local = readLocalSettings(layerEnvironment(dotEnv, shell), process.stdout.isTTY === true)
  const emulator = (dotEnv.IOT_ENDPOINT ?? shell.IOT_ENDPOINT) ? undefined : startupEmulator(local)
  const environment = layerEnvironment(
    // The local key, only when neither s.yaml nor .env nor the shell gives keys.
    { GATEWAY_API_KEYS: LOCAL_API_KEY },
    settings.environment,
    // No FC sits in front locally, so HTTP callers present a key even where s.yaml leaves auth to FC.
    { GATEWAY_AUTH: 'api-key' },
    dotEnv,
    shell,
    // The emulator accepts its own keys only: a developer's real ALIBABA_CLOUD_* keys in the shell must
    // neither reach it nor send messages anywhere but IOT_ENDPOINT.
    emulator
      ? {
          IOT_ENDPOINT: await emulator.start(),
          ALIBABA_CLOUD_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEV_CREDENTIALS.accessKeySecret,
        }
      : {},
  )
  if (emulator) delete environment.ALIBABA_CLOUD_SECURITY_TOKEN
  let handler: FcHandler
  let config: ReturnType<typeof loadConfig>
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
  if (emulator) delete process.env.ALIBABA_CLOUD_SECURITY_TOKEN
  const run = (event: Buffer, requestId: string) =>
    handler(event, {
      requestId,
      function: {
        name: settings.name,
        handler: 'index.handler',
        memory: settings.memory,
        timeout: settings.timeout,
      },
      region: settings.region,
      accountId: LOCAL_ACCOUNT_ID,
    })
  const invokeApi = {
    name: settings.name,
    accountId: LOCAL_ACCOUNT_ID,
    region: settings.region,
    callers: [LOCAL_FC_CALLER],
    delivery: options.invokeDelivery ?? (settings.httpAuthType === undefined ? 'payload' : 'http-event'),
    run,
  } as const
  const triggerDomain = `${settings.name}-local.${settings.region}.fcapp.run`
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
    const requestId = randomUUID()
    const path = new URL(request.url ?? '/', 'http://local').pathname
    if (await answerLocalRoute(request, response, path, body, health, emulator)) return
    if (request.method === 'GET' && path === '/openapi.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(openApi))
      return
    }
    if (matchInvokePath(request.url ?? '/') || API_HOST.test(request.headers.host ?? '')) {
      await answerInvoke(request, response, body, invokeApi, requestId)
      return
    }
    // The trigger's domain is FC's, never the caller's Host header.
    const event = toFcHttpEvent(request, body, {
      requestId,
      accountId: LOCAL_ACCOUNT_ID,
      domainName: triggerDomain,
      textBody: 'text-types',
    })
    try {
      writeFcHttpResponse(response, await run(Buffer.from(JSON.stringify(event)), requestId), requestId)
    } catch {
      // FC answers a failed HTTP invocation with 502; the handler already logged why.
      writeFcHttpResponse(response, undefined, requestId)
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
    accountId: LOCAL_ACCOUNT_ID,
    region: settings.region,
    settings: local,
    health,
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
      await emulator?.stop()
    },
  }
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
            `Cannot listen on ${host}:${port} (${error.code}): set PORT or IOT_PUB_LOCAL_HOST to another value`,
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
