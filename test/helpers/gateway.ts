/** Loads the built bundle (dist/gateway) the way FC does, fresh for each test's environment. */
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { vi } from 'vitest'
import { DEV_CREDENTIALS, type IotEmulator } from '../../dev/iot-emulator/server.js'
import type { FcContext } from '../../lib/fc/types.js'
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
  'PUB_QPS_LIMIT',
  'DEADLINE_MARGIN_MS',
  'MAX_BATCH_SIZE',
  'PUB_CONCURRENCY',
  'GATEWAY_AUTH',
  'GATEWAY_API_KEYS',
  'ALLOWED_PRODUCT_KEYS',
  'ALLOWED_TOPICS',
  'MAX_BODY_BYTES',
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
