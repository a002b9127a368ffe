import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { EmulatorState } from '../../dev/iot-emulator/server.js'
import { LOCAL_API_KEY, type LocalGateway, startLocalGateway } from '../../dev/local/runner.js'
import { clearMachineSettings } from '../helpers/local-gateway.js'

const withKey = { 'content-type': 'application/json', authorization: `Bearer ${LOCAL_API_KEY}` }
const message = { productKey: 'a1Q5XoYxxxx', deviceName: 'device1', topic: 'get', payload: 'on' }

let gateway: LocalGateway | undefined

async function start(env: Record<string, string> = {}): Promise<LocalGateway> {
  clearMachineSettings()
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
  gateway = await startLocalGateway({ port: 0, dotEnv: '/nonexistent/.env' })
  return gateway
}

async function publish(url: string, body: unknown = message): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: withKey, body: JSON.stringify(body) })
  return { status: response.status, body: await response.json() }
}

type ControlAnswer = { status: number; body: EmulatorState & { error: { code: string; message: string } } }

async function control(url: string, method: string, path: string, body?: unknown): Promise<ControlAnswer> {
  const response = await fetch(`${url}/_emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as ControlAnswer['body'] }
}

afterEach(async () => {
  await gateway?.stop()
  gateway = undefined
  vi.unstubAllEnvs()
})

describe('GET /health', () => {
  it('answers 200 without a key, saying what runs: the emulator, the port, the auth mode', async () => {
    // Prepare
    const { url, emulator } = await start()

    // Act
    const response = await fetch(`${url}/health`)

    // Assess
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      status: 'ok',
      function: 'iot-pub-gateway',
      port: Number(new URL(url).port),
      iot: { target: 'emulator', endpoint: emulator?.url },
      auth: { mode: 'api-key', keys: 'local-dev-key' },
    })
  })

  it('names a real endpoint by its origin alone and shows no secret, key or credential', async () => {
    // Prepare
    const secrets = ['user-secret-pw', 'shell-secret-key', 'caller-key-123456']
    const { url } = await start({
      IOT_ENDPOINT: 'https://user:user-secret-pw@iot.cn-shanghai.aliyuncs.com',
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIreal',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'shell-secret-key',
      GATEWAY_API_KEYS: 'caller-key-123456',
    })

    // Act
    const text = await (await fetch(`${url}/health`)).text()

    // Assess
    expect(JSON.parse(text)).toMatchObject({
      iot: { target: 'endpoint', endpoint: 'https://iot.cn-shanghai.aliyuncs.com' },
      auth: { mode: 'api-key', keys: 'GATEWAY_API_KEYS' },
    })
    for (const secret of secrets) expect(text).not.toContain(secret)
  })
})

describe('steering the embedded emulator', () => {
  it('registers products and devices from EMULATOR_DEVICES, so an unknown device answers 404', async () => {
    // Prepare
    const { url } = await start({ EMULATOR_DEVICES: 'a1Q5XoYxxxx/device1' })

    // Act
    const known = await publish(url)
    const unknown = await publish(url, { ...message, deviceName: 'device2' })
    const otherProduct = await publish(url, { ...message, productKey: 'a1Other' })

    // Assess
    expect(known.status).toBe(200)
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'iot.device.NotExistedDevice' } } })
    expect(otherProduct).toMatchObject({
      status: 404,
      body: { error: { code: 'iot.prod.NotExistedProduct' } },
    })
  })

  it('registers and forgets products over PUT/DELETE /_emulator/products', async () => {
    // Prepare
    const { url } = await start()

    // Act
    const registered = await control(url, 'PUT', '/products/a1Q5XoYxxxx', { devices: ['device1'] })
    const unknown = await publish(url, { ...message, deviceName: 'device9' })
    await control(url, 'DELETE', '/products')
    const again = await publish(url, { ...message, deviceName: 'device9' })

    // Assess
    expect(registered).toMatchObject({ status: 200, body: { products: { a1Q5XoYxxxx: ['device1'] } } })
    expect(unknown.status).toBe(404)
    expect(again.status).toBe(200)
  })

  it('injects 503s for N calls: the gateway retries them and publishes', async () => {
    // Prepare
    const { url, emulator } = await start()

    // Act
    const injected = await control(url, 'POST', '/faults', { fault: 'serviceUnavailable', times: 2 })
    const answer = await publish(url)

    // Assess
    expect(injected.body.faults).toEqual([{ kind: 'answer', status: 503, calls: 2 }])
    expect(answer.status).toBe(200)
    expect(emulator?.calls).toBe(3)
    expect(emulator?.describe().faults).toEqual([])
  })

  it('injects faults from EMULATOR_FAULTS at start, and for a duration: resets until it ends, then 504 (a reset Pub may have published)', async () => {
    // Prepare: a 2 s deadline, so that the gateway gives up within the test
    const { url } = await start({ EMULATOR_FAULTS: 'reset:30s', DEADLINE_MARGIN_MS: '28000' })

    // Act
    const answer = await publish(url)
    const state = await control(url, 'GET', '')

    // Assess
    expect(answer).toMatchObject({ status: 504, body: { error: { code: 'UpstreamTimeout' } } })
    expect(state.body.faults).toEqual([{ kind: 'reset', until: expect.any(String) }])
  })

  it('injects throttling for a duration: the gateway answers 429 with Retry-After at its deadline', async () => {
    // Prepare
    const { url } = await start({ DEADLINE_MARGIN_MS: '28500' })
    await control(url, 'POST', '/faults', { fault: 'throttling', seconds: 30 })

    // Act
    const response = await fetch(url, { method: 'POST', headers: withKey, body: JSON.stringify(message) })

    // Assess
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/)
  })

  it('sets a quota over PUT /_emulator/quota: the emulator throttles, the limiter slows down, every message arrives', async () => {
    // Prepare
    const { url, emulator } = await start()
    const quota = await control(url, 'PUT', '/quota', { qps: 2 })

    // Act
    const answer = await publish(url, { messages: Array.from({ length: 6 }, () => message) })
    const lifted = await control(url, 'PUT', '/quota', { qps: null })

    // Assess
    expect(quota.body.quotaQps).toBe(2)
    expect(answer.status).toBe(200)
    expect(emulator?.delivered).toHaveLength(6)
    expect(emulator?.throttled).toBeGreaterThan(0)
    expect(lifted.body.quotaQps).toBeNull()
  })

  it.each([
    ['POST', '/faults', { fault: 'fire' }, /fault has "fire"/],
    ['POST', '/faults', { fault: 'reset', times: 2, seconds: 3 }, /not both/],
    ['POST', '/faults', { fault: 'reset', times: '2' }, /times and seconds must be numbers/],
    ['PUT', '/quota', { qps: 0 }, /qps must be/],
    ['PUT', '/products/pk', { devices: 'd1' }, /devices must be an array/],
    ['PUT', '/quota', [1], /must be a JSON object/],
  ])('refuses %s %s %j with 400 and what to fix', async (method, path, body, message) => {
    // Prepare
    const { url } = await start()

    // Act
    const answer = await control(url, method, path, body)

    // Assess
    expect(answer.status).toBe(400)
    expect(answer.body.error.message).toMatch(message)
  })

  it('answers 404 for an unknown control, and when IOT_ENDPOINT replaces the emulator', async () => {
    // Prepare
    const local = await start()
    const unknown = await control(local.url, 'POST', '/explode', {})
    await local.stop()
    const real = await start({
      IOT_ENDPOINT: 'https://iot.cn-shanghai.aliyuncs.com',
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIx',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'never-used',
    })

    // Act
    const none = await control(real.url, 'GET', '')

    // Assess
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } })
    expect(none).toMatchObject({ status: 404, body: { error: { code: 'NoEmulator' } } })
  })
})

describe('GET /openapi.json', () => {
  it('states the configured MAX_BATCH_SIZE and MAX_PAYLOAD_BYTES, and the package version', async () => {
    // Prepare
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    const { url } = await start({ MAX_BATCH_SIZE: '7', MAX_PAYLOAD_BYTES: '300' })

    // Act
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as {
      info: { version: string; description: string }
      components: {
        schemas: Record<
          string,
          { properties: Record<string, { maxItems?: number; maxLength?: number; description?: string }> }
        >
      }
    }

    // Assess
    expect(document.info.version).toBe(version)
    expect(document.info.description).toContain('at most 7 messages (MAX_BATCH_SIZE)')
    expect(document.components.schemas.PublishBatch?.properties.messages?.maxItems).toBe(7)
    expect(document.components.schemas.PublishMessage?.properties.payloadBase64?.maxLength).toBe(400)
    expect(document.components.schemas.PublishMessage?.properties.payload?.description).toContain(
      'at most 300 bytes',
    )
  })
})

describe('start-up checks', () => {
  it.each([
    [{ MAX_BATCH_SIZE: '0' }, /MAX_BATCH_SIZE/],
    [{ GATEWAY_AUTH: 'maybe' }, /GATEWAY_AUTH/],
    [{ EMULATOR_QUOTA_QPS: 'lots' }, /EMULATOR_QUOTA_QPS/],
    [{ IOT_ENDPOINT: 'https://iot.cn-shanghai.aliyuncs.com' }, /ALIBABA_CLOUD_ACCESS_KEY_ID/],
  ])('refuses to start with %j, naming the variable', async (env, name) => {
    // Assess
    await expect(start(env)).rejects.toThrow(name)
  })

  it('says that a taken port is taken and names PORT', async () => {
    // Prepare
    const first = await start()
    const port = Number(new URL(first.url).port)

    // Act
    const second = startLocalGateway({ port, dotEnv: '/nonexistent/.env' })

    // Assess
    await expect(second).rejects.toThrow(new RegExp(`Port ${port} .* already in use.*set PORT`))
  })
})
