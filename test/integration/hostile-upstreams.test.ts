// The built bundle against upstreams that fail the ways networks, proxies and POP really do: it must
// answer within the deadline, never drop a message for a reason the message cannot fix, never send
// copies without bound, and never show or log a secret in any spelling.
import { afterEach, describe, expect, it } from 'vitest'
import { IotEmulator } from '../../dev/iot-emulator/server.js'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { aCloudEvent, aTimerEvent } from '../helpers/events.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import {
  endlessBodyServer,
  fullAcceptQueue,
  rawAnswerServer,
  selfSignedTlsServer,
} from '../helpers/hostile-servers.js'
import { allLogLines, capturedLogs } from '../helpers/logs.js'
import { STS_SHAPED, spellingsOf, TEST_API_KEY } from '../helpers/secrets.js'

const upstreams: { stop: () => Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.stop()))
})

async function started<T extends { stop: () => Promise<void> }>(upstream: Promise<T>): Promise<T> {
  const running = await upstream
  upstreams.push(running)
  return running
}

// A gateway whose IoT endpoint is `url`, in a function of `timeoutSeconds`.
function gatewayAt(url: string, env: Record<string, string> = {}) {
  return loadBuiltGateway({
    IOT_ENDPOINT: url,
    GATEWAY_API_KEYS: TEST_API_KEY,
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIhostileTest01',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'hostile-test-secret-01',
    ...env,
  })
}

const inFunctionOf = (timeoutSeconds: number) =>
  anFcContext({ function: { name: 'gw', timeout: timeoutSeconds } })

async function postOver(handler: ReturnType<typeof gatewayAt>, timeoutSeconds = 2) {
  const started = performance.now()
  const response = (await handler(
    asFcEvent(anHttpEvent(aMessage())),
    inFunctionOf(timeoutSeconds),
  )) as FcHttpResponse
  return { status: response.statusCode, json: JSON.parse(response.body), ms: performance.now() - started }
}

describe('an endpoint with a self-signed certificate', () => {
  it('answers 503 over HTTP after retrying, within the deadline: nothing was sent', async () => {
    // Prepare
    const upstream = await started(selfSignedTlsServer())

    // Act
    const response = await postOver(gatewayAt(upstream.url))

    // Assess
    expect(response.status).toBe(503)
    expect(response.json.error).toMatchObject({
      code: 'UpstreamUnavailable',
      iotCode: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    })
    expect(response.json.error.attempts).toBeGreaterThan(1)
    expect(response.ms).toBeLessThan(2_000)
    expect(upstream.written()).toBe(0)
  })

  it.each([
    ['a direct invocation', () => asFcEvent(aMessage())],
    ['a timer', () => asFcEvent(aTimerEvent(aMessage()))],
    ['an EventBridge batch', () => asFcEvent([aCloudEvent('mns', aMessage(), 'event-tls-1')])],
  ])('fails %s, so that the platform redelivers rather than drops the message', async (_, event) => {
    // Prepare
    const upstream = await started(selfSignedTlsServer())

    // Act
    const outcome = gatewayAt(upstream.url)(event(), inFunctionOf(1))

    // Assess
    await expect(outcome).rejects.toMatchObject({ status: 503 })
  })

  it('logs why each message of a failed direct batch failed', async () => {
    // Prepare
    const upstream = await started(selfSignedTlsServer())

    // Act
    const outcome = gatewayAt(upstream.url)(
      asFcEvent({ messages: [aMessage(), aMessage()] }),
      inFunctionOf(1),
    )

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'RetryableFailures' })
    const failed = capturedLogs().filter((line) => line.msg === 'failed')
    expect(failed.map((line) => line.messageIndex)).toEqual([0, 1])
    expect(failed[0]).toMatchObject({ error: { iotCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' } })
  })
})

describe('an endpoint whose accept queue is full', () => {
  it('answers 503 ConnectTimeout before the function’s deadline: a connect that never completes sent nothing', async () => {
    // Prepare
    const upstream = await started(fullAcceptQueue())

    // Act
    const response = await postOver(gatewayAt(upstream.url, { PUB_TIMEOUT_MS: '600' }))

    // Assess
    expect(response.status).toBe(503)
    expect(response.json.error).toMatchObject({ code: 'UpstreamUnavailable', iotCode: 'ConnectTimeout' })
    expect(response.ms).toBeLessThan(2_000)
  })
})

describe('an endpoint that streams an endless body', () => {
  it('answers 504 within the deadline, reads no more than the cap, and closes each connection', async () => {
    // Prepare
    const upstream = await started(endlessBodyServer())

    // Act
    const response = await postOver(gatewayAt(upstream.url))

    // Assess: a 200 came, so the message may have been published
    expect(response.status).toBe(504)
    expect(response.json.error).toMatchObject({
      code: 'UpstreamTimeout',
      iotCode: 'ResponseTooLarge',
      attempts: 2,
    })
    expect(response.ms).toBeLessThan(2_000)
    await expect.poll(() => upstream.closed()).toBe(2)
    const written = upstream.written()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(upstream.written()).toBe(written)
    // What the kernel's socket buffers took, at most: nowhere near an unbounded stream.
    expect(written).toBeLessThan(16 * 1024 * 1024)
  })
})

describe('an endpoint that answers with bytes HTTP cannot parse', () => {
  it('answers 504: the request was written, so the message may have been published', async () => {
    // Prepare
    const upstream = await started(rawAnswerServer('HTTP/1.1 2x0 OK\r\n\r\n'))

    // Act
    const response = await postOver(gatewayAt(upstream.url))

    // Assess
    expect(response.status).toBe(504)
    expect(response.json.error.iotCode).toMatch(/^HPE_/)
  })
})

describe('an endpoint that answers success without a MessageId', () => {
  it.each([
    ['Success:true without a MessageId', '{"RequestId":"r","Success":true}'],
    ['a JSON object that says nothing', '{}'],
  ])(
    'answers 504 after at most 1 + PUB_MAYBE_SENT_RETRIES calls for %s: it may have published',
    async (_, body) => {
      // Prepare: each call gets the same 200, then the connection closes
      const answer = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`
      const upstream = await started(rawAnswerServer(answer))

      // Act
      const response = await postOver(gatewayAt(upstream.url, { PUB_MAYBE_SENT_RETRIES: '1' }))

      // Assess
      expect(response.status).toBe(504)
      expect(response.json.error).toMatchObject({ code: 'UpstreamTimeout', attempts: 2 })
      expect(upstream.written() / answer.length).toBe(2)
    },
  )
})

describe('POP quoting its string to sign', () => {
  async function emulatorWithShapedSts() {
    const emulator = await started(
      Promise.resolve(new IotEmulator({ credentials: [{ ...STS_SHAPED }] })).then(async (created) => {
        await created.start()
        return created
      }),
    )
    return emulator
  }

  // FC hands the role's STS credentials in the context; here with a secret IoT does not know.
  const withShapedSts = (accessKeySecret: string) =>
    anFcContext({
      function: { name: 'gw', timeout: 2 },
      credentials: { ...STS_SHAPED, accessKeySecret },
    })

  it('never shows or logs the token of a SignatureDoesNotMatch, in any spelling', async () => {
    // Prepare
    const emulator = await emulatorWithShapedSts()
    const handler = loadBuiltGateway(emulatorEnv(emulator))
    const logsBefore = allLogLines().length

    // Act
    const response = (await handler(
      asFcEvent(anHttpEvent(aMessage())),
      withShapedSts(`${STS_SHAPED.accessKeySecret}x`),
    )) as FcHttpResponse

    // Assess
    expect(response.statusCode).toBe(502)
    expect(JSON.parse(response.body).error).toMatchObject({
      code: 'UpstreamRejected',
      iotCode: 'SignatureDoesNotMatch',
    })
    const logged = allLogLines().slice(logsBefore).join('\n')
    expect(logged).toContain('SignatureDoesNotMatch')
    for (const spelling of spellingsOf(STS_SHAPED.securityToken)) {
      expect(response.body).not.toContain(spelling)
      expect(logged).not.toContain(spelling)
    }
    expect(logged).not.toContain('string to sign is:POST')
  })

  it.each([
    ['a direct invocation', () => asFcEvent(aMessage())],
    ['an EventBridge batch', () => asFcEvent([aCloudEvent('rocketmq', aMessage(), 'event-sig-1')])],
  ])('fails %s on IncompleteSignature, naming no secret', async (_, event) => {
    // Prepare: POP's answer, its text quoting the signed query with the token
    const emulator = await emulatorWithShapedSts()
    const quoted = encodeURIComponent(encodeURIComponent(STS_SHAPED.securityToken))
    emulator.inject({
      kind: 'answer',
      status: 400,
      body: JSON.stringify({
        RequestId: 'R',
        HostId: 'iot.cn-shanghai.aliyuncs.com',
        Code: 'IncompleteSignature',
        Message: `The request signature does not conform to Aliyun standards. server string to sign is:POST&%2F&SecurityToken%3D${quoted}`,
      }),
    })
    const handler = loadBuiltGateway(emulatorEnv(emulator))

    // Act
    const outcome = handler(event(), withShapedSts(STS_SHAPED.accessKeySecret))

    // Assess
    const error = await outcome.then(
      () => undefined,
      (thrown: Error & { status?: number }) => thrown,
    )
    expect(error?.status).toBeGreaterThanOrEqual(500)
    expect(capturedLogs()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        error: expect.objectContaining({ code: 'UpstreamRejected', iotCode: 'IncompleteSignature' }),
      }),
    )
    for (const spelling of spellingsOf(STS_SHAPED.securityToken)) {
      expect(error?.message).not.toContain(spelling)
      expect(JSON.stringify(capturedLogs())).not.toContain(spelling)
    }
  })
})
