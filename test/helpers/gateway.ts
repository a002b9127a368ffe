/** Loads the built bundle (dist/gateway) the way FC does, fresh for each test's environment. */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { vi } from 'vitest'
import { DEV_CREDENTIALS, type IotEmulator } from '../../dev/iot-emulator/server.js'
import type { FcContext, FcHttpResponse } from '../../lib/fc/types.js'
import { TEST_API_KEY } from './secrets.js'

const require = createRequire(import.meta.url)
const BUNDLE = resolve('dist/gateway/index.js')

/** The bundle's exported FC handler. */
export type BuiltHandler = (event: Buffer | string, context: FcContext) => Promise<unknown>

// Every variable the gateway reads, so that the machine's own environment cannot leak into a test.
const GATEWAY_VARIABLES = [
  'IOT_ENDPOINT',
  'IOT_REGION',
  'FC_REGION',
  'IOT_INSTANCE_ID',
  'MAX_PAYLOAD_BYTES',
  'PUB_TIMEOUT_MS',
  'PUB_MAYBE_SENT_RETRIES',
  'PUB_QPS_LIMIT',
  'DEADLINE_MARGIN_MS',
  'MAX_BATCH_SIZE',
  'PUB_CONCURRENCY',
  'GATEWAY_AUTH',
  'GATEWAY_API_KEYS',
  'ALLOWED_PRODUCT_KEYS',
  'ALLOWED_TOPICS',
  'MAX_BODY_BYTES',
  'IDEMPOTENCY_TTL_S',
  'REDIS_URL',
  'REDIS_TIMEOUT_MS',
  'ALIBABA_CLOUD_ACCESS_KEY_ID',
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'ALIBABA_CLOUD_SECURITY_TOKEN',
]

/**
 * A fresh instance of the built handler (as after a cold start) with exactly `env` set; restore with
 * `vi.unstubAllEnvs()`.
 */
export function loadBuiltGateway(env: Record<string, string>): BuiltHandler {
  for (const name of GATEWAY_VARIABLES) vi.stubEnv(name, undefined)
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
  delete require.cache[BUNDLE]
  return (require(BUNDLE) as { handler: BuiltHandler }).handler
}

/** The environment that points the gateway at an emulator, with its development credentials and the test API key. */
export function emulatorEnv(
  emulator: IotEmulator,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    IOT_ENDPOINT: emulator.url,
    GATEWAY_API_KEYS: TEST_API_KEY,
    ALIBABA_CLOUD_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEV_CREDENTIALS.accessKeySecret,
    ...extra,
  }
}

/**
 * Answers one event with the bundle in a fresh Node process that has only `env` (and PATH), as a new FC
 * instance would; `output` is everything the process wrote, its answer aside.
 */
export async function invokeInFreshProcess(
  event: unknown,
  env: Record<string, string>,
  { bundle = BUNDLE, cwd }: { bundle?: string; cwd?: string } = {},
): Promise<{ answer: FcHttpResponse; output: string }> {
  // The answer goes out last, on a line of its own, after any log line.
  const script = `
    require(${JSON.stringify(bundle)})
      .handler(Buffer.from(${JSON.stringify(JSON.stringify(event))}), { requestId: 'r', function: { name: 'f', timeout: 3 } })
      .then((answer) => process.stdout.write('\\n' + JSON.stringify(answer) + '\\n'))`
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', script], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
  })
  const lines = stdout.trimEnd().split('\n')
  return {
    answer: JSON.parse(lines.at(-1) ?? 'null') as FcHttpResponse,
    output: lines.slice(0, -1).join('\n') + stderr,
  }
}
