/** Starts the local runner (npm start's gateway and emulator) for one test file and stops it afterwards. */
import { afterAll, beforeAll } from 'vitest'
import { type LocalGateway, startLocalGateway } from '../../dev/local/runner.js'

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
