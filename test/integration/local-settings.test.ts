import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../client/cli.js'
import { DEV_CREDENTIALS } from '../../dev/iot-emulator/server.js'
import { describeLocalGateway } from '../../dev/local/banner.js'
import { readFunctionSettings } from '../../dev/local/environment.js'
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

describe('the local runner with a developer’s real keys in the shell', () => {
  const realKeys = {
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIdeveloperRealKey',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'developer-real-secret',
    ALIBABA_CLOUD_SECURITY_TOKEN: 'developer-real-token',
  }

  it('still publishes to the embedded emulator, with the emulator’s keys, when IOT_ENDPOINT is unset', async () => {
    // Prepare
    Object.assign(process.env, realKeys)
    delete process.env.IOT_ENDPOINT
    const gateway = await startLocalGateway({ port: 0, dotEnv: '/nonexistent/.env' })

    // Act
    const status = await statusOf(gateway.url, 1)
    const banner = describeLocalGateway(gateway)
    await gateway.stop()

    // Assess
    expect(status).toBe(200)
    expect(gateway.emulator?.delivered).toHaveLength(1)
    expect(gateway.environment).toMatchObject({ ALIBABA_CLOUD_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId })
    expect(gateway.environment).not.toHaveProperty('ALIBABA_CLOUD_SECURITY_TOKEN')
    expect(banner).toContain(`Messages go to the embedded IoT emulator at ${gateway.emulator?.url}`)
    expect(banner).toContain(`signed with access key id ${DEV_CREDENTIALS.accessKeyId}`)
    expect(banner).not.toContain(DEV_CREDENTIALS.accessKeySecret)
  })

  it('says in its banner where messages go, and with which key id, when IOT_ENDPOINT is set', async () => {
    // Prepare
    Object.assign(process.env, realKeys, { IOT_ENDPOINT: 'https://iot.cn-shanghai.aliyuncs.com' })
    const gateway = await startLocalGateway({ port: 0, dotEnv: '/nonexistent/.env' })

    // Act
    const banner = describeLocalGateway(gateway)
    await gateway.stop()

    // Assess
    expect(gateway.emulator).toBeUndefined()
    expect(banner).toContain(
      'Messages go to IoT Platform at https://iot.cn-shanghai.aliyuncs.com, signed with access key id LTAIdeveloperRealKey.',
    )
    expect(banner).not.toContain(realKeys.ALIBABA_CLOUD_ACCESS_KEY_SECRET)
    expect(banner).not.toContain(realKeys.ALIBABA_CLOUD_SECURITY_TOKEN)
  })
})

describe('the local runner’s port and the CLI’s default target', () => {
  async function freePort(): Promise<number> {
    const server = createServer()
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const { port } = server.address() as AddressInfo
    await new Promise<void>((done) => server.close(() => done()))
    return port
  }
  const quietIo = (env: Record<string, string>, dotEnv: Record<string, string> = {}) => ({
    out: () => undefined,
    err: () => undefined,
    stdin: () => '',
    env,
    dotEnv: () => dotEnv,
  })
  const publish = ['publish', '--product', 'pk', '--device', 'd', '--topic', 't', '--payload', 'p']

  it('listens on the PORT of .env, where the CLI finds it without flags', async () => {
    // Prepare
    delete process.env.PORT
    const port = await freePort()
    const gateway = await startLocalGateway({ dotEnv: dotEnv(`PORT=${port}\n`) })

    // Act
    const code = await runCli(publish, quietIo({}, { PORT: String(port) }))
    await gateway.stop()

    // Assess
    expect(gateway.url).toBe(`http://127.0.0.1:${port}`)
    expect(code).toBe(0)
  })

  it('lets the shell’s PORT override .env’s, for the runner and the CLI alike', async () => {
    // Prepare
    const port = await freePort()
    process.env.PORT = String(port)
    const gateway = await startLocalGateway({ dotEnv: dotEnv('PORT=1\n') })

    // Act
    const code = await runCli(publish, quietIo({ PORT: String(port) }, { PORT: '1' }))
    await gateway.stop()

    // Assess
    expect(gateway.url).toBe(`http://127.0.0.1:${port}`)
    expect(code).toBe(0)
  })

  it.each([['9000x'], ['70000']])('refuses PORT=%s as wrong usage', async (port) => {
    // Act + Assess
    expect(await runCli(publish, quietIo({ PORT: port }))).toBe(2)
  })
})

describe('the CLI against a local runner configured exactly as s.yaml is', () => {
  it('publishes with the key the deployer’s environment gave s.yaml, and is refused without it', async () => {
    // Prepare: s.yaml takes GATEWAY_API_KEYS from the environment it is deployed from
    process.env.GATEWAY_API_KEYS = 'deployer-key-1,deployer-key-2'
    const gateway = await startLocalGateway({ port: 0, dotEnv: '/nonexistent/.env' })
    const rendered = readFunctionSettings('s.yaml', { GATEWAY_API_KEYS: 'deployer-key-1,deployer-key-2' })
    const io = { out: () => undefined, err: () => undefined, stdin: () => '', env: {} }
    const publish = [
      'publish',
      '--url',
      `${gateway.url}/`,
      '--product',
      'pk',
      '--device',
      'd',
      '--topic',
      't',
      '--payload',
      'p',
    ]

    // Act
    const withKey = await runCli([...publish, '--api-key', 'deployer-key-2'], io)
    const withLocalKey = await runCli([...publish, '--api-key', LOCAL_API_KEY], io)
    await gateway.stop()

    // Assess
    // Every variable s.yaml sets, as s deploy renders it (an empty one is unset, as on FC)
    const set = Object.fromEntries(Object.entries(rendered.environment).filter(([, value]) => value !== ''))
    expect(gateway.environment).toMatchObject(set)
    expect([withKey, withLocalKey]).toEqual([0, 1])
  })
})

describe('the address npm start listens on', () => {
  // `npm start` itself, in a process of its own, until its banner names the address.
  async function bannerAddress(env: Record<string, string>): Promise<string> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/local/start.ts'], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    try {
      return await new Promise<string>((resolve, reject) => {
        let text = ''
        child.stderr.on('data', (chunk: Buffer) => {
          text += chunk.toString()
          const address = /listening on http:\/\/([^:/]+):/.exec(text)?.[1]
          if (address) resolve(address)
        })
        child.once('exit', () => reject(new Error(`npm start ended: ${text}`)))
      })
    } finally {
      child.kill()
    }
  }

  // Other addresses than 127.0.0.2 would do (0.0.0.0 is what tools export), but tests stay on loopback.
  it('is 127.0.0.1 when the shell exports a generic HOST for other tools', async () => {
    // Act + Assess: the runner takes published keys, so it is never exposed by another tool's setting
    expect(await bannerAddress({ HOST: '127.0.0.2' })).toBe('127.0.0.1')
  }, 30_000)

  it('is what IOT_PUB_LOCAL_HOST says, when the developer asks for it by the runner’s own name', async () => {
    // Act + Assess
    expect(await bannerAddress({ IOT_PUB_LOCAL_HOST: '127.0.0.2' })).toBe('127.0.0.2')
  }, 30_000)
})
