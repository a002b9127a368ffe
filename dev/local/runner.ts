/**
 * The local gateway behind `npm start`: an HTTP server that hands each request to the built FC
 * handler as an HTTP trigger event, with an embedded IoT emulator unless IOT_ENDPOINT is set.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import type { FcContext } from '../../lib/fc/types.js'
import { DEV_CREDENTIALS, IotEmulator } from '../iot-emulator/server.js'
import { toFcHttpEvent, writeFcHttpResponse } from './fc-http-event.js'

type FcHandler = (event: Buffer, context: FcContext) => Promise<unknown>

/** How the local gateway starts. */
export interface LocalGatewayOptions {
  /** Port to listen on; 0 picks a free one. @default 9000 */
  port?: number
  /** Address to listen on. @default '127.0.0.1' */
  host?: string
  /** The built bundle to run. @default 'dist/gateway/index.js' */
  bundle?: string
}

/** A running local gateway. */
export interface LocalGateway {
  url: string
  /** The embedded emulator, absent when IOT_ENDPOINT points elsewhere. */
  emulator?: IotEmulator
  stop(): Promise<void>
}

/** The API key `npm start` accepts unless GATEWAY_API_KEYS is set; it guards nothing real. */
export const LOCAL_API_KEY = 'local-dev-key'

const FUNCTION = { name: 'iot-pub-gateway', handler: 'index.handler', memory: 512, timeout: 30 }

/**
 * Starts the emulator (when needed) and the HTTP server.
 * @example const gateway = await startLocalGateway({ port: 0 }); await fetch(gateway.url, …)
 */
export async function startLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  // The function reads its settings from the process environment, as on FC.
  const env = process.env
  const emulator = env.IOT_ENDPOINT ? undefined : new IotEmulator()
  if (emulator) {
    const endpoint = await emulator.start()
    // Local defaults fill only what the shell left unset.
    env.IOT_ENDPOINT = endpoint
    env.ALIBABA_CLOUD_ACCESS_KEY_ID ??= DEV_CREDENTIALS.accessKeyId
    env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ??= DEV_CREDENTIALS.accessKeySecret
  }
  env.IOT_REGION ??= 'cn-shanghai'
  // Closed by default here too: a local key the start banner and the README's curl present.
  if ((env.GATEWAY_AUTH ?? 'api-key') === 'api-key') env.GATEWAY_API_KEYS ??= LOCAL_API_KEY
  const handler = loadHandler(options.bundle ?? 'dist/gateway/index.js')

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const event = toFcHttpEvent(request, Buffer.concat(chunks), 'local')
    const context: FcContext = {
      requestId: randomUUID(),
      function: FUNCTION,
      region: env.IOT_REGION,
      accountId: 'local',
    }
    try {
      writeFcHttpResponse(response, await handler(Buffer.from(JSON.stringify(event)), context))
    } catch {
      // FC answers a failed HTTP invocation with 502; the handler already logged why.
      writeFcHttpResponse(response, undefined)
    }
  })
  await listen(server, options.port ?? 9000, options.host ?? '127.0.0.1')
  const { address, port } = server.address() as AddressInfo

  return {
    url: `http://${address}:${port}`,
    emulator,
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
      await emulator?.stop()
    },
  }
}

function loadHandler(bundle: string): FcHandler {
  const path = resolve(bundle)
  const require = createRequire(import.meta.url)
  // A fresh instance, as after a cold start: its settings are read anew.
  delete require.cache[path]
  try {
    return (require(path) as { handler: FcHandler }).handler
  } catch (error) {
    throw new Error(`Cannot load ${path}: run \`npm run build\` first`, { cause: error })
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail)
    server.listen(port, host, () => done())
  })
}
