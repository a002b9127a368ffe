/** Starts the local runner (npm start's gateway and emulator) for one test file and stops it afterwards. */
import { afterAll, beforeAll, vi } from 'vitest'
import {
  createGatewayClient,
  type GatewayClient,
  type GatewayClientOptions,
} from '../../client/gateway-client.js'
import { LOCAL_FC_CALLER, type LocalGateway, startLocalGateway } from '../../dev/local/runner.js'

/**
 * A local gateway on a free loopback port, reading no `.env`, for the tests of the calling file; the
 * runner writes its settings into process.env, which is put back afterwards.
 */
export function useLocalGateway(): () => LocalGateway {
  let gateway: LocalGateway | undefined
  const environmentBefore = { ...process.env }
  beforeAll(async () => {
    gateway = await startLocalGateway({ port: 0, dotEnv: '/nonexistent/.env' })
  })
  afterAll(async () => {
    await gateway?.stop()
    process.env = environmentBefore
  })
  return () => {
    if (!gateway) throw new Error('the local gateway starts in beforeAll')
    return gateway
  }
}

// Variables of the machine running the tests that would change what the local runner does.
const MACHINE_SETTINGS = [
  'IOT_ENDPOINT',
  'IOT_REGION',
  'ALIBABA_CLOUD_ACCESS_KEY_ID',
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'GATEWAY_AUTH',
  'GATEWAY_API_KEYS',
  'PORT',
  'HOST',
  'IOT_PUB_LOCAL_HOST',
  'LOG_FORMAT',
  'LOG_LEVEL',
  'EMULATOR_DEVICES',
  'EMULATOR_QUOTA_QPS',
  'EMULATOR_FAULTS',
  'DEADLINE_MARGIN_MS',
]

/** Unsets, until `vi.unstubAllEnvs()`, what the machine's environment would change in the local runner. */
export function clearMachineSettings(): void {
  for (const name of MACHINE_SETTINGS) vi.stubEnv(name, undefined)
}

/** The typed client aimed at the local gateway's invoke API, signed as the local runner's FC caller. */
export function aLocalClient(
  gateway: LocalGateway,
  overrides: Partial<GatewayClientOptions> = {},
): GatewayClient {
  return createGatewayClient({
    accountId: '1234567890',
    region: 'cn-shanghai',
    credentials: LOCAL_FC_CALLER,
    functionName: 'iot-pub-gateway',
    endpoint: gateway.url,
    ...overrides,
  })
}
