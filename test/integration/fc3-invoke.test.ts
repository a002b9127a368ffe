import { createHash, createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { transform } from 'esbuild'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../client/cli.js'
import {
  createGatewayClient,
  fcEndpoint,
  GatewayFailedError,
  GatewayRefusedError,
  InvocationDeniedError,
} from '../../client/gateway-client.js'
import { fcStringToSign } from '../../dev/local/fc-signature.js'
import { LOCAL_FC_CALLER, type LocalGateway, startLocalGateway } from '../../dev/local/runner.js'
import { captureCliIo } from '../helpers/cli-io.js'
import { aMessage } from '../helpers/factories.js'
import { capturedLogs } from '../helpers/logs.js'
import { type RecordingProxy, startRecordingProxy } from '../helpers/recording-proxy.js'

let gateway: LocalGateway
let proxy: RecordingProxy
const environmentBefore = { ...process.env }

beforeAll(async () => {
  gateway = await startLocalGateway({ port: 0, dotEnv: '/nonexistent/.env' })
  proxy = await startRecordingProxy(gateway.url)
})

afterAll(async () => {
  await proxy.stop()
  await gateway.stop()
  process.env = environmentBefore
})

afterEach(() => {
  gateway.emulator?.clearFaults()
  proxy.requests.length = 0
})

const client = (overrides = {}) =>
  createGatewayClient({
    accountId: '1234567890',
    region: 'cn-shanghai',
    credentials: LOCAL_FC_CALLER,
    functionName: 'iot-pub-gateway',
    endpoint: proxy.url,
    ...overrides,
  })

describe('the typed client on FC 3.0’s invoke API', () => {
  it('calls POST /2023-03-30/functions/{name}/invocations, signed as FC checks it, and publishes', async () => {
    // Act
    const result = await client().publish(aMessage({ payload: 'fc3' }))

    // Assess
    const [request] = proxy.requests
    expect(request).toMatchObject({
      method: 'POST',
      url: '/2023-03-30/functions/iot-pub-gateway/invocations',
    })
    expect(request?.headers).toMatchObject({
      authorization: expect.stringMatching(/^FC LTAIlocalFcCaller01:/),
      'x-fc-invocation-type': 'Sync',
      'x-fc-log-type': 'None',
      'content-type': 'application/octet-stream',
    })
    expect(result.messageId).toBe(gateway.emulator?.delivered.at(-1)?.messageId)
    expect(gateway.emulator?.delivered.at(-1)?.payload.toString()).toBe('fc3')
  })

  it('signs the versioned path without its query, so that the runner’s own check holds', () => {
    // Act + Assess: the string to sign is built from the path FC 3.0 serves
    expect(
      fcStringToSign('POST', '/2023-03-30/functions/gw/invocations', {
        'content-md5': 'm',
        'content-type': 'application/octet-stream',
        date: 'd',
        'x-fc-invocation-type': 'Sync',
        'x-fc-account-id': '1',
      }),
    ).toBe(
      'POST\nm\napplication/octet-stream\nd\nx-fc-account-id:1\nx-fc-invocation-type:Sync\n/2023-03-30/functions/gw/invocations',
    )
  })

  it('sends the qualifier as a query parameter', async () => {
    // Act
    await client({ qualifier: 'LATEST' }).publish(aMessage())

    // Assess
    expect(proxy.requests[0]?.url).toBe('/2023-03-30/functions/iot-pub-gateway/invocations?qualifier=LATEST')
  })

  it('reaches FC’s invoke API over HTTPS by default', () => {
    // Act + Assess
    expect(fcEndpoint('1234567890', 'cn-shanghai')).toBe('https://1234567890.cn-shanghai.fc.aliyuncs.com')
  })

  it('queues with x-fc-invocation-type: Async and returns FC’s request id before the message is published', async () => {
    // Prepare
    const before = gateway.emulator?.delivered.length ?? 0

    // Act
    const queued = await client().publishAsync(aMessage({ payload: 'queued' }))
    await expect.poll(() => gateway.emulator?.delivered.length).toBe(before + 1)

    // Assess
    expect(proxy.requests[0]?.headers['x-fc-invocation-type']).toBe('Async')
    expect(queued.fcRequestId).toEqual(expect.any(String))
    expect(gateway.emulator?.delivered.at(-1)?.payload.toString()).toBe('queued')
  })

  it('queues a batch as one asynchronous invocation', async () => {
    // Prepare
    const before = gateway.emulator?.delivered.length ?? 0

    // Act
    await client().publishAsync([aMessage({ topic: 'q1' }), aMessage({ topic: 'q2' })])
    await expect.poll(() => gateway.emulator?.delivered.length).toBe(before + 2)

    // Assess
    expect(proxy.requests).toHaveLength(1)
  })

  it('reaches a function in an FC 2.0 service on the 2016-08-15 path only when a service is named', async () => {
    // Act
    await client({ service: 'default', qualifier: 'LATEST' }).publish(aMessage())

    // Assess
    expect(proxy.requests[0]?.url).toBe(
      '/2016-08-15/services/default.LATEST/functions/iot-pub-gateway/invocations',
    )
  })

  it('asks for the log tail with x-fc-log-type: Tail when given onLog', async () => {
    // Act
    await client({ onLog: () => undefined }).publish(aMessage())

    // Assess
    expect(proxy.requests[0]?.headers['x-fc-log-type']).toBe('Tail')
  })

  it('puts the first detail’s pointer and message in GatewayRefusedError’s message', async () => {
    // Act
    const error = await client()
      .publish(aMessage({ qos: 3 as 0 }))
      .catch((thrown: unknown) => thrown)

    // Assess
    expect(error).toBeInstanceOf(GatewayRefusedError)
    expect((error as Error).message).toMatch(/^InvalidRequest: .* \(\/qos: must be 0 or 1\)$/)
    expect(error).toMatchObject({ retryable: false })
  })

  it('fails with GatewayFailedError when the gateway fails the invocation for a retryable reason', async () => {
    // Prepare: IoT refuses the gateway's own key, which its operator can fix; the invocation fails at once
    gateway.emulator?.inject({
      kind: 'answer',
      status: 404,
      body: '{"RequestId":"r","HostId":"h","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}',
    })

    // Act
    const error = await client()
      .publish(aMessage())
      .catch((thrown: unknown) => thrown)

    // Assess
    expect(error).toBeInstanceOf(GatewayFailedError)
    expect(error).toMatchObject({
      code: 'UpstreamRejected',
      retryable: true,
      fcRequestId: expect.any(String),
    })
  })

  it.each([
    [
      'a wrong secret',
      { credentials: { ...LOCAL_FC_CALLER, accessKeySecret: 'wrong' } },
      403,
      'SignatureNotMatch',
    ],
    [
      'an unknown key id',
      { credentials: { accessKeyId: 'LTAInobody', accessKeySecret: 's' } },
      403,
      'InvalidAccessKeyID',
    ],
    ['another function', { functionName: 'other' }, 404, 'FunctionNotFound'],
    ['an unknown version', { qualifier: '3' }, 404, 'VersionNotFound'],
  ])('throws InvocationDeniedError, not fc2’s error, for %s', async (_, overrides, status, code) => {
    // Act
    const error = await client(overrides)
      .publish(aMessage())
      .catch((thrown: unknown) => thrown)

    // Assess
    expect(error).toBeInstanceOf(InvocationDeniedError)
    expect(error).toMatchObject({ status, code, retryable: false })
  })

  it.each([
    ['a function name reaching into another path', { functionName: '../services/x' }, /functionName/],
    ['an account that is not digits', { accountId: '12/34' }, /accountId/],
    ['a qualifier with a slash', { qualifier: 'a/b' }, /qualifier/],
    [
      'STS credentials without their token',
      { credentials: { accessKeyId: 'STS.x', accessKeySecret: 's' } },
      /securityToken/,
    ],
  ])('refuses %s before any call', (_, overrides, message) => {
    // Act + Assess
    expect(() => client(overrides)).toThrow(message)
  })
})

describe('the documented client example', () => {
  it('runs against the local runner unchanged but for the endpoint', async () => {
    // Prepare: the example as docs/local-development.md shows it, given the local caller's keys, two
    // messages, the runner's endpoint, and the built client where it imports the package
    const guide = readFileSync('docs/local-development.md', 'utf8')
    const example = /## The typed client\n\n```ts\n([\s\S]*?)```/.exec(guide)?.[1] ?? ''
    const source = [
      `const accessKeyId = '${LOCAL_FC_CALLER.accessKeyId}', accessKeySecret = '${LOCAL_FC_CALLER.accessKeySecret}', securityToken = undefined`,
      `const m1 = ${JSON.stringify(aMessage({ topic: 'doc1' }))}, m2 = ${JSON.stringify(aMessage({ topic: 'doc2' }))}`,
      example
        .replace(
          "'iot-pub-gateway/client'",
          JSON.stringify(pathToFileURL(resolve('dist/client/gateway-client.mjs')).href),
        )
        .replace(
          "functionName: 'iot-pub-gateway',",
          `functionName: 'iot-pub-gateway', endpoint: '${gateway.url}',`,
        ),
      'export { messageId, results, fcRequestId }',
    ].join('\n')
    const { code } = await transform(source, { loader: 'ts', format: 'esm' })
    const file = join(mkdtempSync(join(tmpdir(), 'client-example-')), 'example.mjs')
    writeFileSync(file, code)
    const before = gateway.emulator?.delivered.length ?? 0

    // Act
    const outcome = (await import(pathToFileURL(file).href)) as Record<string, unknown>
    await expect.poll(() => gateway.emulator?.delivered.length).toBe(before + 5)

    // Assess: publish, publishBatch and publishAsync as the comments say
    expect(example).toContain("from 'iot-pub-gateway/client'")
    expect(outcome.messageId).toEqual(expect.stringMatching(/^\d+$/))
    expect(outcome.results).toEqual([
      expect.objectContaining({ messageId: expect.any(String) }),
      expect.anything(),
    ])
    expect(outcome.fcRequestId).toEqual(expect.any(String))
  })
})

describe('the invoke API of a function without an HTTP trigger', () => {
  it('hands the function the payload itself, which it publishes', async () => {
    // Prepare: the first runner's IOT_ENDPOINT is in the environment now, so this one publishes there too
    const plain = await startLocalGateway({ port: 0, dotEnv: '/nonexistent/.env', invokeDelivery: 'payload' })

    // Act
    const result = await client({ endpoint: plain.url }).publishBatch([aMessage({ payload: 'raw' })])
    await plain.stop()

    // Assess
    expect(result).toEqual([
      expect.objectContaining({ messageId: gateway.emulator?.delivered.at(-1)?.messageId }),
    ])
    expect(gateway.emulator?.delivered.at(-1)?.payload.toString()).toBe('raw')
    expect(capturedLogs().find((line) => line.msg === 'invocation')).toMatchObject({ trigger: 'direct' })
  })

  it('refuses a method other than POST once signed, as FC does', async () => {
    // Act: signed by fc2 for GET on the invoke path
    const FCClient = (await import('@alicloud/fc2')).default
    const fc = new FCClient('1234567890', {
      accessKeyID: LOCAL_FC_CALLER.accessKeyId,
      accessKeySecret: LOCAL_FC_CALLER.accessKeySecret,
      region: 'cn-shanghai',
      endpoint: gateway.url,
    })
    fc.version = '2023-03-30'
    const error = await (fc as unknown as { get(path: string): Promise<unknown> })
      .get('/functions/iot-pub-gateway/invocations')
      .catch((thrown: unknown) => thrown)

    // Assess
    expect(error).toMatchObject({ code: 'PathNotSupported' })
  })
})

describe('the local invoke API’s check of the body a signature covers', () => {
  // fc2's signature covers content-md5, not the body: a captured request is signed for one body only.
  const invokePath = '/2023-03-30/functions/iot-pub-gateway/invocations'
  function signedFor(body: string | undefined): Record<string, string> {
    const headers: Record<string, string> = {
      date: new Date().toUTCString(),
      'content-type': 'application/octet-stream',
      'x-fc-invocation-type': 'Sync',
    }
    // Without a body to sign for, the header is left out and the signature covers no body at all.
    if (body !== undefined)
      headers['content-md5'] = Buffer.from(createHash('md5').update(body).digest('hex')).toString('base64')
    const signature = createHmac('sha256', LOCAL_FC_CALLER.accessKeySecret)
      .update(fcStringToSign('POST', invokePath, headers))
      .digest('base64')
    return { ...headers, authorization: `FC ${LOCAL_FC_CALLER.accessKeyId}:${signature}` }
  }
  const send = (headers: Record<string, string>, body: string) =>
    fetch(`${gateway.url}${invokePath}`, { method: 'POST', headers, body })

  it('publishes the body the signature was made for', async () => {
    // Act
    const body = JSON.stringify(aMessage({ payload: 'signed' }))
    const answer = await send(signedFor(body), body)

    // Assess
    expect(answer.status).toBe(200)
    expect(gateway.emulator?.delivered.at(-1)?.payload.toString()).toBe('signed')
  })

  it.each([
    ['another body under a signature made for a first one', JSON.stringify(aMessage({ payload: 'signed' }))],
    ['a body under a signature made without content-md5', undefined],
  ])('refuses %s, and publishes nothing', async (_, signedBody) => {
    // Prepare
    const before = gateway.emulator?.delivered.length
    const headers = signedFor(signedBody)

    // Act
    const answer = await send(headers, JSON.stringify(aMessage({ payload: 'swapped' })))

    // Assess
    expect(answer.status).toBe(400)
    expect(await answer.json()).toMatchObject({ ErrorCode: 'InvalidArgument' })
    expect(gateway.emulator?.delivered.length).toBe(before)
  })
})

describe('one request id per invocation', () => {
  it('answers the invoke API with the x-fc-request-id the function’s context and log lines carry', async () => {
    // Act
    const response = await client().publishAsync(aMessage())
    await expect.poll(() => capturedLogs().filter((line) => line.msg === 'invocation').length).toBe(1)

    // Assess
    expect(capturedLogs().find((line) => line.msg === 'invocation')?.requestId).toBe(response.fcRequestId)
  })

  it('answers the HTTP trigger with the x-fc-request-id of its log line', async () => {
    // Act
    const response = await fetch(`${gateway.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer local-dev-key' },
      body: JSON.stringify(aMessage()),
    })

    // Assess
    expect(response.status).toBe(200)
    const logged = capturedLogs().find((line) => line.msg === 'invocation')
    expect(response.headers.get('x-fc-request-id')).toBe(logged?.requestId)
  })
})

describe('a look-alike of the invoke API sent to the local trigger', () => {
  it('needs the API key on a path that only resembles the invoke path', async () => {
    // Act: the trailing slash takes it past the invoke API, to the trigger
    const response = await fetch(`${gateway.url}/2023-03-30/functions/iot-pub-gateway/invocations/`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-acs-action': 'InvokeFunction' },
      body: JSON.stringify(aMessage()),
    })

    // Assess
    expect(response.status).toBe(401)
  })

  it('is taken to the invoke API, and its signature check, when its Host names the API domain', async () => {
    // Act: fetch will not send another Host, node:http will
    const status = await new Promise<number | undefined>((done, fail) => {
      const { hostname, port } = new URL(gateway.url)
      request(
        {
          hostname,
          port,
          method: 'POST',
          path: '/',
          headers: { host: '1234567890.cn-shanghai.fc.aliyuncs.com' },
        },
        (answer) => {
          answer.resume()
          done(answer.statusCode)
        },
      )
        .on('error', fail)
        .end(JSON.stringify(aMessage()))
    })

    // Assess
    expect(status).toBe(403)
  })
})

describe('the CLI on FC 3.0’s invoke API', () => {
  const signed = {
    ALIBABA_CLOUD_ACCESS_KEY_ID: LOCAL_FC_CALLER.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: LOCAL_FC_CALLER.accessKeySecret,
  }
  const io = (env: Record<string, string> = signed) => captureCliIo(env)
  const target = ['--function', 'iot-pub-gateway', '--account-id', '1234567890', '--region', 'cn-shanghai']
  const message = ['--product', 'pk', '--device', 'd', '--topic', 'cli', '--payload', 'on']

  it('publishes through the 2023-03-30 path with a qualifier and exits 0', async () => {
    // Prepare
    const { out, io: cliIo } = io()

    // Act
    const code = await runCli(
      ['publish', ...message, ...target, '--qualifier', 'LATEST', '--endpoint', proxy.url],
      cliIo,
    )

    // Assess
    expect(code).toBe(0)
    expect(JSON.parse(out.join(''))).toHaveProperty('messageId')
    expect(proxy.requests[0]?.url).toBe('/2023-03-30/functions/iot-pub-gateway/invocations?qualifier=LATEST')
  })

  it('queues with --async and exits 0 once FC has taken the invocation', async () => {
    // Prepare
    const { out, io: cliIo } = io()

    // Act
    const code = await runCli(['publish', ...message, ...target, '--async', '--endpoint', proxy.url], cliIo)

    // Assess
    expect(code).toBe(0)
    expect(JSON.parse(out.join(''))).toEqual({ queued: true, fcRequestId: expect.any(String) })
    expect(proxy.requests[0]?.headers['x-fc-invocation-type']).toBe('Async')
  })

  it('exits 1 and says FC denied it when the signature is wrong', async () => {
    // Prepare
    const { err, io: cliIo } = io({ ...signed, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong' })

    // Act
    const code = await runCli(['publish', ...message, ...target, '--endpoint', gateway.url], cliIo)

    // Assess
    expect(code).toBe(1)
    expect(err.join('')).toContain(
      'denied by Function Compute: Function Compute refused the invocation: 403 (SignatureNotMatch)',
    )
    expect(err.join('')).not.toContain('wrong')
  })

  it.each([
    ['--async without --function', ['publish', ...message, '--async']],
    ['--url with --function', ['publish', ...message, ...target, '--url', 'http://127.0.0.1:1/']],
    ['a function name with a slash', ['publish', ...message, ...target.slice(2), '--function', 'a/b']],
  ])('exits 2 for %s', async (_, argv) => {
    // Act + Assess
    expect(await runCli(argv, io().io)).toBe(2)
  })
})
