import { describe, expect, it } from 'vitest'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { useEmulator } from '../helpers/emulator.js'
import { aCloudEvent } from '../helpers/events.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, invokeInFreshProcess, loadBuiltGateway } from '../helpers/gateway.js'
import { capturedLogs } from '../helpers/logs.js'
import { TEST_API_KEY, TEST_STS } from '../helpers/secrets.js'

const emulator = useEmulator()

async function post(handler: BuiltHandler, body: unknown, headers: Record<string, string>, rest = {}) {
  const event = { ...anHttpEvent(body), headers, ...rest }
  const response = (await handler(asFcEvent(event), anFcContext())) as FcHttpResponse
  return { status: response.statusCode, headers: response.headers, json: JSON.parse(response.body) }
}

const json = { 'content-type': 'application/json' }
const withKey = { ...json, authorization: `Bearer ${TEST_API_KEY}` }

describe('callers of the HTTP trigger', () => {
  it.each([
    ['no Authorization header', json, 'Send an API key'],
    ['a wrong key', { ...json, authorization: 'Bearer not-the-key' }, 'The API key is not valid'],
    ['another scheme', { ...json, authorization: `Basic ${TEST_API_KEY}` }, 'Send an API key'],
  ])('refuses %s with 401 and WWW-Authenticate, sending nothing', async (_, headers, message) => {
    // Prepare
    const callsBefore = emulator().calls

    // Act
    const response = await post(loadBuiltGateway(emulatorEnv(emulator())), aMessage(), headers)

    // Assess
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer')
    expect(response.json.error).toMatchObject({
      code: 'Unauthorized',
      message: expect.stringContaining(message),
    })
    expect(emulator().calls).toBe(callsBefore)
  })

  it('accepts any of the configured keys', async () => {
    // Prepare
    const handler = loadBuiltGateway(
      emulatorEnv(emulator(), { GATEWAY_API_KEYS: `old-key-123,${TEST_API_KEY}` }),
    )

    // Act
    const response = await post(handler, aMessage(), withKey)

    // Assess
    expect(response.status).toBe(200)
  })

  it('refuses every HTTP request, naming what to set, when api-key mode has no key', async () => {
    // Prepare
    const handler = loadBuiltGateway({ ...emulatorEnv(emulator()), GATEWAY_API_KEYS: '' })

    // Act
    const response = await post(handler, aMessage(), withKey)

    // Assess
    expect(response.status).toBe(500)
    expect(capturedLogs()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        error: expect.objectContaining({ message: expect.stringContaining('GATEWAY_API_KEYS') }),
      }),
    )
  })

  it('lets callers through without a key when GATEWAY_AUTH=none (FC authenticates them)', async () => {
    // Prepare
    const handler = loadBuiltGateway(emulatorEnv(emulator(), { GATEWAY_AUTH: 'none', GATEWAY_API_KEYS: '' }))

    // Act
    const response = await post(handler, aMessage(), json)

    // Assess
    expect(response.status).toBe(200)
  })

  it('needs no key for direct invocations and event triggers, which FC authenticates', async () => {
    // Prepare
    const handler = loadBuiltGateway({ ...emulatorEnv(emulator()), GATEWAY_API_KEYS: '' })

    // Act
    const direct = await handler(asFcEvent(aMessage()), anFcContext())
    const event = await handler(asFcEvent(aCloudEvent('mns', aMessage())), anFcContext())

    // Assess
    expect(direct).toHaveProperty('messageId')
    expect(event).toEqual({ published: 1, dropped: [] })
  })
})

describe('confinement', () => {
  const confined = () =>
    loadBuiltGateway(
      emulatorEnv(emulator(), { ALLOWED_PRODUCT_KEYS: 'a1Q5XoYtest', ALLOWED_TOPICS: '/+/+/user/cmd/#' }),
    )

  it('publishes what the operator allows', async () => {
    // Act
    const response = await post(confined(), aMessage({ topic: 'cmd/light' }), withKey)

    // Assess
    expect(response.status).toBe(200)
  })

  it.each([
    ['another product', aMessage({ productKey: 'otherPk', topic: 'cmd' }), '/productKey'],
    ['another topic', aMessage({ topic: 'get' }), '/topic'],
    [
      'a response topic outside the patterns',
      aMessage({ topic: 'cmd', responseTopic: 'secret' }),
      '/responseTopic',
    ],
  ])('refuses %s with 403 before any call to IoT', async (_, message, pointer) => {
    // Prepare
    const callsBefore = emulator().calls

    // Act
    const response = await post(confined(), message, withKey)

    // Assess
    expect(response.status).toBe(403)
    expect(response.json.error).toMatchObject({
      code: 'Forbidden',
      details: [expect.objectContaining({ pointer })],
    })
    expect(emulator().calls).toBe(callsBefore)
  })

  it('refuses a whole batch with one forbidden item, naming it', async () => {
    // Act
    const response = await post(
      confined(),
      { messages: [aMessage({ topic: 'cmd' }), aMessage({ topic: 'get' })] },
      withKey,
    )

    // Assess
    expect(response.status).toBe(403)
    expect(response.json.error.details).toEqual([expect.objectContaining({ pointer: '/messages/1/topic' })])
  })

  it('drops a forbidden CloudEvent as poison', async () => {
    // Act
    const result = await confined()(
      asFcEvent(aCloudEvent('kafka', aMessage({ topic: 'get' }), 'forbidden-1')),
      anFcContext(),
    )

    // Assess
    expect(result).toMatchObject({
      published: 0,
      dropped: [{ id: 'forbidden-1', errors: [{ code: 'Forbidden' }] }],
    })
  })
})

describe('hostile input', () => {
  it('refuses a body over MAX_BODY_BYTES with 413', async () => {
    // Prepare
    const handler = loadBuiltGateway(emulatorEnv(emulator(), { MAX_BODY_BYTES: '1000' }))

    // Act
    const response = await post(handler, aMessage({ payload: 'x'.repeat(1_000) }), withKey)

    // Assess
    expect(response.status).toBe(413)
  })

  it('refuses a payload nested 100,000 levels deep with 400, not a crash', async () => {
    // Prepare
    const body = `{"productKey":"pk","deviceName":"d","topic":"t","payload":${'['.repeat(100_000)}${']'.repeat(100_000)}}`

    // Act
    const response = await post(loadBuiltGateway(emulatorEnv(emulator())), body, withKey)

    // Assess
    expect(response.status).toBe(400)
    expect(response.json.error.details[0].message).toContain('nested deeper')
  })

  it('refuses __proto__ keys with 400 and pollutes nothing', async () => {
    // Prepare
    const body =
      '{"productKey":"pk","deviceName":"d","topic":"t","payload":1,"userProperties":{"__proto__":{"polluted":"yes"}}}'

    // Act
    const response = await post(loadBuiltGateway(emulatorEnv(emulator())), body, withKey)

    // Assess
    expect(response.status).toBe(400)
    expect(response.json.error.details).toEqual([
      expect.objectContaining({ pointer: '/userProperties/__proto__' }),
    ])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses invalid UTF-8 with 400', async () => {
    // Prepare
    const bytes = Buffer.concat([
      Buffer.from('{"productKey":"pk","deviceName":"d","topic":"t","payload":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ])

    // Act
    const response = await post(
      loadBuiltGateway(emulatorEnv(emulator())),
      bytes.toString('base64'),
      withKey,
      { isBase64Encoded: true },
    )

    // Assess
    expect(response.status).toBe(400)
    expect(response.json.error.message).toContain('UTF-8')
  })

  it('refuses a form-encoded body with 415', async () => {
    // Act
    const response = await post(loadBuiltGateway(emulatorEnv(emulator())), 'productKey=pk', {
      ...withKey,
      'content-type': 'application/x-www-form-urlencoded',
    })

    // Assess
    expect(response.status).toBe(415)
  })

  it.each([
    ['a device name', aMessage({ deviceName: 'dev\u0000ice' }), '/deviceName'],
    ['a topic', aMessage({ topic: 'get\u001b' }), '/topic'],
    ['a user property', aMessage({ userProperties: { trace: 'a\u0085b' } }), '/userProperties/trace'],
  ])('refuses control characters in %s with 400', async (_, message, pointer) => {
    // Act
    const response = await post(loadBuiltGateway(emulatorEnv(emulator())), message, withKey)

    // Assess
    expect(response.status).toBe(400)
    expect(response.json.error.details.map((detail: { pointer: string }) => detail.pointer)).toContain(
      pointer,
    )
  })
})

describe('what the deployed function writes', () => {
  it('never writes the signed request, even with DEBUG set to everything', async () => {
    // Prepare: DEBUG=* would make httpx print each request body, signature and STS token included
    emulator().addCredentials(TEST_STS)

    // Act
    const { answer, output } = await invokeInFreshProcess(anHttpEvent(aMessage()), {
      DEBUG: '*',
      ...emulatorEnv(emulator(), { GATEWAY_AUTH: 'none' }),
      ALIBABA_CLOUD_ACCESS_KEY_ID: TEST_STS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: TEST_STS.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: TEST_STS.securityToken,
    })

    // Assess: the message went out signed, and nothing of the signed request was written
    expect(answer.statusCode).toBe(200)
    expect(output).not.toContain('Signature')
    expect(output).not.toContain(TEST_STS.securityToken)
    expect(output).not.toContain(TEST_STS.accessKeySecret)
  })
})
