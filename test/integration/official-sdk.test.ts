import Iot, * as $Iot from '@alicloud/iot20180120'
import * as $OpenApi from '@alicloud/openapi-client'
import { describe, expect, it } from 'vitest'
import { DEV_CREDENTIALS } from '../../dev/iot-emulator/server.js'
import { signPubCallV3 } from '../../dev/iot-emulator/signed-request.js'
import { useEmulator } from '../helpers/emulator.js'

const STS = {
  accessKeyId: 'STS.v3',
  accessKeySecret: 'sts-v3-secret-1234',
  securityToken: 'sts-v3-token-5678',
}
const PUB = {
  ProductKey: 'pk',
  TopicFullName: '/pk/d/user/get',
  MessageContent: Buffer.from('hi').toString('base64'),
}

type SdkClient = {
  pub(request: $Iot.PubRequest): Promise<{ body?: { success?: boolean; messageId?: string } }>
}
const IotClient = ((Iot as unknown as { default?: unknown }).default ?? Iot) as new (
  config: $OpenApi.Config,
) => SdkClient

describe('the emulator against the official @alicloud/iot20180120 SDK', () => {
  const emulator = useEmulator({ credentials: [DEV_CREDENTIALS, STS] })

  function sdk(credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }) {
    const { host } = new URL(emulator().url)
    // The SDK's defaults but where to find the emulator: its signature is V3, ACS3-HMAC-SHA256.
    return new IotClient(
      new $OpenApi.Config({ ...credentials, endpoint: host, protocol: 'http', regionId: 'cn-shanghai' }),
    )
  }

  async function send(call: ReturnType<typeof signPubCallV3>) {
    const response = await fetch(`${emulator().url}${call.path}`, {
      method: 'POST',
      headers: call.headers,
      body: call.body,
    })
    return { status: response.status, body: (await response.json()) as { Code?: string; Success?: boolean } }
  }

  it('accepts the SDK’s default V3 signature and delivers every field', async () => {
    // Act
    const response = await sdk(DEV_CREDENTIALS).pub(
      new $Iot.PubRequest({
        productKey: 'pk',
        topicFullName: '/pk/d/user/get',
        messageContent: Buffer.from('hello *+ device').toString('base64'),
        qos: 1,
        correlationData: Buffer.from('c-1').toString('base64'),
        userProp: [new $Iot.PubRequestUserProp({ key: 'trace id', value: 'a/b c' })],
      }),
    )

    // Assess
    expect(response.body).toMatchObject({ success: true, messageId: expect.stringMatching(/^\d+$/) })
    expect(emulator().delivered.at(-1)).toMatchObject({
      topicFullName: '/pk/d/user/get',
      qos: 1,
      payload: Buffer.from('hello *+ device'),
      userProperties: [{ key: 'trace id', value: 'a/b c' }],
    })
  })

  it('accepts the SDK with STS credentials, and refuses it with a wrong secret', async () => {
    // Act
    const withToken = await sdk(STS).pub(
      new $Iot.PubRequest({ productKey: 'pk', topicFullName: '/pk/d/user/get', messageContent: 'aGk=' }),
    )
    const wrong = sdk({ ...DEV_CREDENTIALS, accessKeySecret: 'not-the-secret' }).pub(
      new $Iot.PubRequest({ productKey: 'pk', topicFullName: '/pk/d/user/get', messageContent: 'aGk=' }),
    )

    // Assess
    expect(withToken.body?.success).toBe(true)
    await expect(wrong).rejects.toThrow(/SignatureDoesNotMatch/)
  })

  it('accepts a V3 call signed from the specification', async () => {
    // Act
    const answer = await send(signPubCallV3(new URL(emulator().url).host, PUB))

    // Assess
    expect(answer).toMatchObject({ status: 200, body: { Success: true } })
  })

  it.each([
    [
      'a body changed after signing',
      (call: ReturnType<typeof signPubCallV3>) => ({ ...call, body: `${call.body}&Qos=1` }),
      'SignatureDoesNotMatch',
    ],
    [
      'a signed header changed',
      (call: ReturnType<typeof signPubCallV3>) => ({
        ...call,
        headers: { ...call.headers, 'x-acs-version': '2017-01-01' },
      }),
      'SignatureDoesNotMatch',
    ],
    [
      'an x-acs header left unsigned',
      (call: ReturnType<typeof signPubCallV3>) => ({
        ...call,
        headers: { ...call.headers, 'x-acs-extra': '1' },
      }),
      'IncompleteSignature',
    ],
    [
      'no nonce',
      (call: ReturnType<typeof signPubCallV3>) => ({
        ...call,
        headers: { ...call.headers, 'x-acs-signature-nonce': '' },
      }),
      'MissingParameter',
    ],
    [
      'a mangled Authorization',
      (call: ReturnType<typeof signPubCallV3>) => ({
        ...call,
        headers: {
          ...call.headers,
          authorization: call.headers.authorization?.replace(',Signature=', ',Sig=') ?? '',
        },
      }),
      'IncompleteSignature',
    ],
  ])('refuses a V3 call with %s', async (_, tamper, code) => {
    // Prepare
    const deliveredBefore = emulator().delivered.length

    // Act
    const answer = await send(tamper(signPubCallV3(new URL(emulator().url).host, PUB)))

    // Assess
    expect(answer.status).toBe(400)
    expect(answer.body.Code).toBe(code)
    expect(emulator().delivered).toHaveLength(deliveredBefore)
  })

  it('refuses a replayed V3 call, a stale date, an unknown key and a missing STS token', async () => {
    // Prepare
    const host = new URL(emulator().url).host
    const call = signPubCallV3(host, PUB)
    const stale = new Date(Date.now() - 16 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')

    // Act
    const first = await send(call)
    const replay = await send(call)
    const old = await send(signPubCallV3(host, PUB, DEV_CREDENTIALS, { 'x-acs-date': stale }))
    const unknown = await send(signPubCallV3(host, PUB, { accessKeyId: 'LTAInobody', accessKeySecret: 'x' }))
    const tokenless = await send(
      signPubCallV3(host, PUB, { accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret }),
    )

    // Assess
    expect(first.status).toBe(200)
    expect(replay.body.Code).toBe('SignatureNonceUsed')
    expect(old.body.Code).toBe('InvalidTimeStamp.Expired')
    expect(unknown).toMatchObject({ status: 404, body: { Code: 'InvalidAccessKeyId.NotFound' } })
    expect(tokenless.body.Code).toBe('InvalidSecurityToken.MismatchWithAccessKey')
  })
})
