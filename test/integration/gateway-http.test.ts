import { beforeEach, describe, expect, it } from 'vitest'
import { FAULTS } from '../../dev/iot-emulator/faults.js'
import { DEV_CREDENTIALS } from '../../dev/iot-emulator/server.js'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { useEmulator } from '../helpers/emulator.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import { capturedLogs } from '../helpers/logs.js'
import { ROTATED_STS, TEST_API_KEY, TEST_STS, WRONG_SECRET } from '../helpers/secrets.js'

const emulator = useEmulator()

async function post(
  handler: BuiltHandler,
  body: unknown,
  overrides: Parameters<typeof anHttpEvent>[1] = {},
  context = anFcContext(),
) {
  const response = (await handler(asFcEvent(anHttpEvent(body, overrides)), context)) as FcHttpResponse
  return { ...response, json: JSON.parse(response.body) }
}

describe('the built gateway behind an HTTP trigger', () => {
  let handler: BuiltHandler
  let callsBefore: number

  beforeEach(() => {
    handler = loadBuiltGateway(emulatorEnv(emulator()))
    callsBefore = emulator().calls
  })

  it('publishes a message and answers with IoT’s MessageId, every digit exact', async () => {
    // Act
    const response = await post(handler, aMessage({ payload: { light: 'on' } }))

    // Assess
    const delivered = emulator().delivered.at(-1)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.json).toEqual({ messageId: delivered?.messageId, requestId: expect.any(String) })
    expect(response.json.messageId).toMatch(/^\d{19}$/)
    expect(BigInt(response.json.messageId)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER))
    expect(delivered).toMatchObject({ topicFullName: '/a1Q5XoYtest/device1/user/get', qos: 0 })
    expect(delivered?.payload.toString()).toBe('{"light":"on"}')
  })

  it('delivers QoS, response topic, correlation data and user properties as the device sees them', async () => {
    // Act
    await post(
      handler,
      aMessage({
        qos: 1,
        responseTopic: 'reply',
        correlationData: 'req-42',
        userProperties: { trace: 'abc' },
      }),
    )

    // Assess
    const delivered = emulator().delivered.at(-1)
    expect(delivered).toMatchObject({
      qos: 1,
      responseTopic: '/a1Q5XoYtest/device1/user/reply',
      userProperties: [{ key: 'trace', value: 'abc' }],
    })
    expect(delivered?.correlationData?.toString()).toBe('req-42')
  })

  it('sends Pub as a POST, keeping the signature and keys out of the URL', async () => {
    // Act
    await post(handler, aMessage())

    // Assess
    expect(emulator().requests.at(-1)).toEqual({ method: 'POST', url: '/' })
  })

  it('reads a base64-encoded body and headers in any case', async () => {
    // Prepare
    const body = Buffer.from(JSON.stringify(aMessage({ payload: 'hi' }))).toString('base64')

    // Act
    const response = await post(handler, body, {
      isBase64Encoded: true,
      headers: { 'CONTENT-TYPE': 'application/json', AUTHORIZATION: `Bearer ${TEST_API_KEY}` },
    })

    // Assess
    expect(response.statusCode).toBe(200)
    expect(emulator().delivered.at(-1)?.payload.toString()).toBe('hi')
  })

  it('answers 400 InvalidRequest naming each bad field, and sends nothing', async () => {
    // Act
    const response = await post(handler, {
      productKey: 'pk',
      deviceName: 'd',
      topic: 'a/#',
      payload: 1,
      qos: 2,
    })

    // Assess
    expect(response.statusCode).toBe(400)
    expect(response.json.error.code).toBe('InvalidRequest')
    expect(response.json.error.details.map((detail: { pointer: string }) => detail.pointer)).toEqual(
      expect.arrayContaining(['/topic', '/qos']),
    )
    expect(emulator().calls).toBe(callsBefore)
  })

  it('answers 400 for malformed JSON', async () => {
    // Act
    const response = await post(handler, '{"productKey": "pk",')

    // Assess
    expect(response.statusCode).toBe(400)
    expect(response.json.error).toMatchObject({
      code: 'InvalidRequest',
      message:
        'The request body is not valid JSON: it ends too early, at line 1, column 21 (offset 20): expected double-quoted property name',
    })
  })

  it('answers 405 with Allow: POST for any other method', async () => {
    // Act
    const response = await post(handler, aMessage(), { method: 'GET' })

    // Assess
    expect(response.statusCode).toBe(405)
    expect(response.headers.allow).toBe('POST')
    expect(emulator().calls).toBe(callsBefore)
  })

  it('answers 413 for a payload over MAX_PAYLOAD_BYTES, and sends nothing', async () => {
    // Prepare
    handler = loadBuiltGateway(emulatorEnv(emulator(), { MAX_PAYLOAD_BYTES: '16' }))

    // Act
    const atLimit = await post(handler, aMessage({ payload: 'x'.repeat(16) }))
    const callsAfterFirst = emulator().calls
    const over = await post(handler, aMessage({ payload: 'x'.repeat(17) }))

    // Assess
    expect(atLimit.statusCode).toBe(200)
    expect(over.statusCode).toBe(413)
    expect(over.json.error.code).toBe('PayloadTooLarge')
    expect(emulator().calls).toBe(callsAfterFirst)
  })

  it('sends IotInstanceId only when IOT_INSTANCE_ID is set', async () => {
    // Act
    await post(handler, aMessage())
    const without = emulator().delivered.at(-1)
    await post(loadBuiltGateway(emulatorEnv(emulator(), { IOT_INSTANCE_ID: 'iot-06z00abc' })), aMessage())
    const withInstance = emulator().delivered.at(-1)

    // Assess
    expect(without?.iotInstanceId).toBeUndefined()
    expect(withInstance?.iotInstanceId).toBe('iot-06z00abc')
  })

  it('signs with the role’s STS credentials from the context', async () => {
    // Prepare
    const sts = TEST_STS
    emulator().addCredentials(sts)
    const event = asFcEvent(anHttpEvent(aMessage()))

    // Act
    const response = (await handler(event, anFcContext({ credentials: sts }))) as FcHttpResponse

    // Assess
    expect(response.statusCode).toBe(200)
  })

  it('takes fresh credentials on every invocation, as STS rotates them', async () => {
    // Prepare
    const [first, second] = ROTATED_STS
    emulator().addCredentials(first)
    emulator().addCredentials(second)
    const event = asFcEvent(anHttpEvent(aMessage()))

    // Act
    const one = (await handler(event, anFcContext({ credentials: first }))) as FcHttpResponse
    const two = (await handler(event, anFcContext({ credentials: second }))) as FcHttpResponse
    const wrong = (await handler(
      event,
      anFcContext({ credentials: { ...second, securityToken: 'stale-token' } }),
    )) as FcHttpResponse

    // Assess
    expect([one.statusCode, two.statusCode, wrong.statusCode]).toEqual([200, 200, 502])
  })

  it('reuses one keep-alive connection across warm invocations', async () => {
    // Prepare
    await post(handler, aMessage())
    const connectionsBefore = emulator().connections

    // Act
    for (let i = 0; i < 5; i++) await post(handler, aMessage())

    // Assess
    expect(emulator().connections).toBe(connectionsBefore)
  })
})

describe('the built gateway when IoT refuses', () => {
  beforeEach(() => {
    emulator().registerProduct('a1Q5XoYtest', ['device1'])
  })

  it.each([
    ['an unknown device', aMessage({ deviceName: 'ghost' }), 'iot.device.NotExistedDevice'],
    ['an unknown product', aMessage({ productKey: 'nosuchpk' }), 'iot.prod.NotExistedProduct'],
  ])('answers 404 with IoT’s code for %s', async (_, message, code) => {
    // Act
    const response = await post(loadBuiltGateway(emulatorEnv(emulator())), message)

    // Assess
    expect(response.statusCode).toBe(404)
    expect(response.json.error.code).toBe(code)
  })

  it.each([
    ['a wrong secret', { ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret' }, 'SignatureDoesNotMatch'],
    ['an unknown key', { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIunknown' }, 'InvalidAccessKeyId.NotFound'],
  ])('answers 502 UpstreamRejected for %s, which no caller can fix', async (_, env, iotCode) => {
    // Act
    const response = await post(loadBuiltGateway(emulatorEnv(emulator(), env)), aMessage())

    // Assess
    expect(response.statusCode).toBe(502)
    expect(response.json.error).toMatchObject({ code: 'UpstreamRejected', iotCode })
  })

  it('answers 502 for an instance that does not exist', async () => {
    // Prepare
    const { IotEmulator } = await import('../../dev/iot-emulator/server.js')
    const withInstances = new IotEmulator({ instanceIds: ['iot-real'] })
    await withInstances.start()

    // Act
    const response = await post(
      loadBuiltGateway(emulatorEnv(withInstances, { IOT_INSTANCE_ID: 'iot-typo' })),
      aMessage(),
    )
    await withInstances.stop()

    // Assess
    expect(response.statusCode).toBe(502)
    expect(response.json.error.iotCode).toBe('iot.system.InstanceNotFound')
  })

  // A two-second function leaves 1.5 s for retries before the gateway must answer: room for several
  // attempts even on a busy machine, and a quick end to the test.
  const shortFunction = () => anFcContext({ function: { name: 'gw', timeout: 2 } })

  it.each([
    ['Success:false without a code', FAULTS.successFalse, 'SuccessFalse'],
    ['ServiceUnavailable', FAULTS.serviceUnavailable, 'ServiceUnavailable'],
    ['a proxy’s HTML 503 page', { ...FAULTS.html502, status: 503 }, 'InvalidResponse'],
  ])('answers 503 UpstreamUnavailable for %s that lasts, after retrying', async (_, fault, iotCode) => {
    // Prepare
    emulator().inject(fault, { durationMs: 5_000 })

    // Act
    const response = await post(loadBuiltGateway(emulatorEnv(emulator())), aMessage(), {}, shortFunction())

    // Assess
    expect(response.statusCode).toBe(503)
    expect(response.json.error).toMatchObject({ code: 'UpstreamUnavailable', iotCode })
    expect(response.json.error.attempts).toBeGreaterThan(1)
  })

  it.each([
    ['a proxy’s HTML 502 page', FAULTS.html502, 'InvalidResponse'],
    ['a connection reset after the request was written', FAULTS.reset, 'ECONNRESET'],
  ])(
    'answers 504 UpstreamTimeout for %s that lasts: the message may have been published',
    async (_, fault, iotCode) => {
      // Prepare
      emulator().inject(fault, { durationMs: 5_000 })

      // Act
      const response = await post(loadBuiltGateway(emulatorEnv(emulator())), aMessage(), {}, shortFunction())

      // Assess
      expect(response.statusCode).toBe(504)
      expect(response.json.error).toMatchObject({ code: 'UpstreamTimeout', iotCode, attempts: 2 })
    },
  )

  it('answers 429 Throttled with Retry-After when IoT throttles with HTTP 400 for longer than the deadline', async () => {
    // Prepare
    emulator().inject(FAULTS.throttling, { durationMs: 5_000 })

    // Act
    const response = await post(loadBuiltGateway(emulatorEnv(emulator())), aMessage(), {}, shortFunction())

    // Assess
    expect(response.statusCode).toBe(429)
    expect(response.headers['retry-after']).toMatch(/^\d+$/)
    expect(response.json.error).toMatchObject({
      code: 'Throttled',
      iotCode: 'Throttling.User',
      attempts: expect.any(Number),
    })
  })
})

describe('the built gateway without configuration', () => {
  it('answers 500 and logs the variable to set when no region is configured', async () => {
    // Prepare
    const handler = loadBuiltGateway({
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIkey',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret-value-1',
    })

    // Act
    const response = await post(handler, aMessage())

    // Assess
    expect(response.statusCode).toBe(500)
    expect(response.json.error).toMatchObject({
      code: 'GatewayMisconfigured',
      message: expect.stringContaining('IOT_REGION'),
    })
    expect(capturedLogs()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        error: expect.objectContaining({ message: expect.stringContaining('IOT_REGION') }),
      }),
    )
  })

  it('answers 500 naming the credential variables when there is no role and no key', async () => {
    // Prepare
    const handler = loadBuiltGateway({ IOT_ENDPOINT: emulator().url, GATEWAY_API_KEYS: TEST_API_KEY })

    // Act
    const response = await post(handler, aMessage())

    // Assess
    expect(response.statusCode).toBe(500)
    expect(response.json.error.message).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID')
  })

  it('never shows or logs the access key secret', async () => {
    // Prepare
    const handler = loadBuiltGateway(
      emulatorEnv(emulator(), { ALIBABA_CLOUD_ACCESS_KEY_SECRET: WRONG_SECRET }),
    )

    // Act
    const response = await post(handler, aMessage())

    // Assess
    expect(response.body).not.toContain(WRONG_SECRET)
    expect(JSON.stringify(capturedLogs())).not.toContain(WRONG_SECRET)
    expect(JSON.stringify(capturedLogs())).not.toContain(DEV_CREDENTIALS.accessKeySecret)
  })
})
