import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LOCAL_API_KEY, startLocalGateway } from '../../dev/local/runner.js'

const environmentBefore = { ...process.env }

afterEach(() => {
  process.env = { ...environmentBefore }
})

function dotEnv(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'local-env-')), '.env')
  writeFileSync(path, text)
  return path
}

async function statusOf(url: string, payloadBytes: number): Promise<number> {
  const body = JSON.stringify({
    productKey: 'pk',
    deviceName: 'd',
    topic: 't',
    payload: 'x'.repeat(payloadBytes),
  })
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${LOCAL_API_KEY}` }
  return (await fetch(url, { method: 'POST', headers, body })).status
}

describe('the local runner’s settings', () => {
  it('takes s.yaml’s variables, overridden by local defaults where no FC sits in front', async () => {
    // Act
    const gateway = await startLocalGateway({ port: 0, dotEnv: '/nonexistent/.env' })
    await gateway.stop()

    // Assess
    expect(gateway.environment).toMatchObject({
      IOT_REGION: 'cn-shanghai',
      MAX_PAYLOAD_BYTES: '262144',
      GATEWAY_AUTH: 'api-key',
    })
  })

  it('lets .env override s.yaml', async () => {
    // Prepare
    const gateway = await startLocalGateway({ port: 0, dotEnv: dotEnv('MAX_PAYLOAD_BYTES=10\n') })

    // Act
    const statuses = [await statusOf(gateway.url, 10), await statusOf(gateway.url, 11)]
    await gateway.stop()

    // Assess
    expect(statuses).toEqual([200, 413])
  })

  it('lets the shell override .env', async () => {
    // Prepare
    process.env.MAX_PAYLOAD_BYTES = '20'
    const gateway = await startLocalGateway({ port: 0, dotEnv: dotEnv('MAX_PAYLOAD_BYTES=10\n') })

    // Act
    const statuses = [await statusOf(gateway.url, 20), await statusOf(gateway.url, 21)]
    await gateway.stop()

    // Assess
    expect(statuses).toEqual([200, 413])
  })
})
