import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { runCli } from '../../client/cli.js'
import { describeLocalGateway } from '../../dev/local/banner.js'
import { formatDelivery } from '../../dev/local/device-view.js'
import { LOCAL_API_KEY, type LocalGateway, startLocalGateway } from '../../dev/local/runner.js'
import { clearMachineSettings } from '../helpers/local-gateway.js'

// The README's first curl, as a newcomer copies it.
const curl = readFileSync('README.md', 'utf8').match(
  /curl -s -X POST http:\/\/127\.0\.0\.1:9000(\/\S*) .*?-H 'authorization: ([^']+)' -d '([^']+)'/,
)

const withKey = { 'content-type': 'application/json', authorization: `Bearer ${LOCAL_API_KEY}` }

describe('the local gateway (npm start)', () => {
  let gateway: LocalGateway

  beforeAll(async () => {
    clearMachineSettings()
    gateway = await startLocalGateway({ port: 0 })
  })

  afterAll(async () => {
    await gateway.stop()
    vi.unstubAllEnvs()
  })

  it('delivers the README’s curl with no configuration', async () => {
    // Prepare
    const [, path, authorization = '', body] = curl ?? []

    // Act
    const response = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body,
    })

    // Assess
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      messageId: expect.stringMatching(/^\d+$/),
      requestId: expect.any(String),
    })
    expect(gateway.emulator?.delivered.at(-1)?.topicFullName).toBe('/a1Q5XoYxxxx/device1/user/get')
  })

  it('prints a banner whose CLI commands publish as they stand', async () => {
    // Prepare: each `npx iot-pub …` line, split as a shell would (single quotes only), with the variables
    // written before it
    const banner = describeLocalGateway(gateway)
    const commands = [...banner.matchAll(/^\s*((?:\w+=\S+ )*)\\?\s*npx iot-pub (.+)$/gm)]
    const lines = banner.split('\n')
    const runs = commands.map((match) => {
      const previous = lines[lines.indexOf(match[0]) - 1] ?? ''
      const env = Object.fromEntries(
        [...`${previous} ${match[1]}`.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]),
      )
      const argv = [...(match[2] ?? '').matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '')
      return { env, argv }
    })
    const quiet = { out: () => undefined, err: () => undefined, stdin: () => '' }

    // Act
    const codes = []
    for (const { env, argv } of runs)
      codes.push(await runCli(argv, { ...quiet, env: { PORT: new URL(gateway.url).port, ...env } }))

    // Assess
    expect(runs).toHaveLength(2)
    expect(codes).toEqual([0, 0])
  })

  it('refuses a request without the local API key', async () => {
    // Act
    const response = await fetch(gateway.url, { method: 'POST', body: '{}' })

    // Assess
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer')
  })

  it('passes errors through with their status and JSON body', async () => {
    // Act
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: withKey,
      body: '{"productKey":"pk"}',
    })

    // Assess
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { code: 'InvalidRequest' } })
  })

  it('hands the function a non-JSON body, which it refuses with 415', async () => {
    // Act
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { ...withKey, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'productKey=pk&deviceName=d',
    })

    // Assess
    expect(response.status).toBe(415)
  })

  it('hands the function bytes that are not UTF-8 unreplaced, so the gateway refuses them', async () => {
    // Prepare: a JSON text whose payload string holds a lone 0xff byte
    const body = Buffer.concat([
      Buffer.from('{"productKey":"pk","deviceName":"d","topic":"t","payload":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ])
    const before = gateway.emulator?.delivered.length

    // Act
    const response = await fetch(gateway.url, { method: 'POST', headers: withKey, body })

    // Assess
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { message: 'The request body is not valid UTF-8' } })
    expect(gateway.emulator?.delivered.length).toBe(before)
  })

  it('shows each delivery as a device would receive it', async () => {
    // Prepare
    const shown: string[] = []
    gateway.emulator?.on('message', (message) => shown.push(formatDelivery(message)))
    const message = {
      productKey: 'pk',
      deviceName: 'd',
      topic: 'get',
      payload: 'on',
      qos: 1,
      responseTopic: 'ack',
      correlationData: 'c-1',
      userProperties: { trace: 't1' },
    }

    // Act
    await fetch(gateway.url, { method: 'POST', headers: withKey, body: JSON.stringify(message) })

    // Assess
    expect(shown[0]).toContain('/pk/d/user/get  (QoS 1')
    expect(shown[0]).toContain('payload: on')
    expect(shown[0]).toContain('response topic: /pk/d/user/ack')
    expect(shown[0]).toContain('correlation data: c-1')
    expect(shown[0]).toContain('user property: trace = t1')
  })
})

describe('formatDelivery', () => {
  it('shows bytes that are not text as base64', () => {
    // Prepare
    const message = {
      messageId: '1',
      productKey: 'pk',
      topicFullName: '/pk/d/user/x',
      payload: Buffer.from([0xff, 0x00, 0x81]),
      qos: 0 as const,
      userProperties: [],
    }

    // Act + Assess
    expect(formatDelivery(message)).toContain('(3 bytes, base64) /wCB')
  })
})
