import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEV_CREDENTIALS, IotEmulator } from '../../../dev/iot-emulator/server.js'
import { signRpc } from '../../../dev/iot-emulator/signature.js'
import { signPubRequest } from '../../../dev/iot-emulator/signed-request.js'

const STS = { accessKeyId: 'STS.test', accessKeySecret: 'sts-secret-xyz', securityToken: 'token-xyz' }
const EXPIRED = {
  accessKeyId: 'STS.old',
  accessKeySecret: 'old-secret',
  securityToken: 'old-token',
  expiresAt: new Date(0),
}

function timestamp(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

// A Pub request signed by the test itself, so that each check can be provoked alone.
function pubParameters(
  overrides: Record<string, string> = {},
  credentials: { accessKeyId: string; accessKeySecret: string } = DEV_CREDENTIALS,
) {
  const pub = {
    ProductKey: 'pk',
    TopicFullName: '/pk/dev/user/get',
    MessageContent: Buffer.from('hi').toString('base64'),
  }
  return signPubRequest({ ...pub, ...overrides }, credentials)
}

describe('IotEmulator', () => {
  const emulator = new IotEmulator({ credentials: [DEV_CREDENTIALS, STS, EXPIRED] })

  beforeAll(async () => {
    await emulator.start()
  })

  afterAll(async () => {
    await emulator.stop()
  })

  async function call(parameters: Record<string, string>, method = 'POST') {
    const body = new URLSearchParams(parameters).toString()
    const response =
      method === 'POST'
        ? await fetch(emulator.url, {
            method,
            body,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          })
        : await fetch(`${emulator.url}/?${body}`)
    return { status: response.status, text: await response.text() }
  }

  it('accepts a correctly signed Pub and answers MessageId as a bare 19-digit number', async () => {
    // Act
    const { status, text } = await call(pubParameters())

    // Assess
    expect(status).toBe(200)
    expect(text).toMatch(/"Success":true,"MessageId":\d{19}}$/)
  })

  it('accepts a GET signed over its query', async () => {
    // Prepare
    const parameters: Record<string, string> = { ...pubParameters() }
    delete parameters.Signature
    const signed = { ...parameters, Signature: signRpc('GET', parameters, DEV_CREDENTIALS.accessKeySecret) }

    // Act + Assess
    expect((await call(signed, 'GET')).status).toBe(200)
  })

  it.each([
    [
      'a tampered parameter',
      () => ({ ...pubParameters(), ProductKey: 'other' }),
      400,
      'SignatureDoesNotMatch',
    ],
    [
      'an unknown key',
      () => pubParameters({}, { accessKeyId: 'LTAInobody', accessKeySecret: 'x' }),
      404,
      'InvalidAccessKeyId.NotFound',
    ],
    [
      'a timestamp 16 minutes old',
      () => pubParameters({ Timestamp: timestamp(-16 * 60_000) }),
      400,
      'InvalidTimeStamp.Expired',
    ],
    [
      'a malformed timestamp',
      () => pubParameters({ Timestamp: '2026-11-25 10:00:00' }),
      400,
      'InvalidTimeStamp.Format',
    ],
    [
      'STS keys without their token',
      () => pubParameters({}, STS),
      400,
      'InvalidSecurityToken.MismatchWithAccessKey',
    ],
    [
      'an expired STS token',
      () => pubParameters({ SecurityToken: EXPIRED.securityToken }, EXPIRED),
      400,
      'InvalidSecurityToken.Expired',
    ],
    ['another action', () => pubParameters({ Action: 'QueryDevice' }), 404, 'InvalidAction.NotFound'],
    ['a missing topic', () => pubParameters({ TopicFullName: '' }), 400, 'MissingParameter'],
    [
      'a topic of another product',
      () => pubParameters({ TopicFullName: '/zz/dev/user/get' }),
      200,
      'iot.messagebroker.InvalidFormattedTopicName',
    ],
    [
      'content that is not base64',
      () => pubParameters({ MessageContent: 'not base64!' }),
      200,
      'iot.messagebroker.MessageContentIsNotBase64Encode',
    ],
    [
      'empty content',
      () => pubParameters({ MessageContent: '' }),
      200,
      'iot.messagebroker.NullMessageContent',
    ],
    ['QoS 2', () => pubParameters({ Qos: '2' }), 400, 'InvalidParameter'],
  ])('refuses %s with IoT’s code', async (_, parameters, status, code) => {
    // Act
    const response = await call(parameters())

    // Assess
    expect(response.status).toBe(status)
    expect(JSON.parse(response.text)).toMatchObject({ Code: code })
  })

  it('accepts STS keys with their token', async () => {
    // Act + Assess
    expect((await call(pubParameters({ SecurityToken: STS.securityToken }, STS))).status).toBe(200)
  })

  it('refuses a nonce it has seen, as a replay', async () => {
    // Prepare
    const nonce = randomUUID()
    await call(pubParameters({ SignatureNonce: nonce }))

    // Act
    const replay = await call(pubParameters({ SignatureNonce: nonce }))

    // Assess
    expect(JSON.parse(replay.text)).toMatchObject({ Code: 'SignatureNonceUsed' })
  })

  it('answers business refusals as HTTP 200 with Success false and ErrorMessage', async () => {
    // Act
    const response = await call(pubParameters({ MessageContent: '' }))

    // Assess
    expect(JSON.parse(response.text)).toEqual({
      RequestId: expect.any(String),
      Success: false,
      Code: 'iot.messagebroker.NullMessageContent',
      ErrorMessage: expect.any(String),
    })
  })

  it('records user properties, response topic and correlation data as delivered', async () => {
    // Act
    await call(
      pubParameters({
        Qos: '1',
        ResponseTopic: '/pk/dev/user/ack',
        CorrelationData: Buffer.from('c').toString('base64'),
        'UserProp.1.Key': 'a',
        'UserProp.1.Value': 'b',
      }),
    )

    // Assess
    expect(emulator.delivered.at(-1)).toMatchObject({
      qos: 1,
      responseTopic: '/pk/dev/user/ack',
      userProperties: [{ key: 'a', value: 'b' }],
    })
  })
})
