import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createGatewayClient,
  GatewayFailedError,
  GatewayRefusedError,
  InvocationDeniedError,
} from '../../client/gateway-client.js'
import { aMessage } from '../helpers/factories.js'
import { selfSignedTlsServer } from '../helpers/hostile-servers.js'

// A stand-in for FC that answers the next invocation as the test says, over real HTTP, to the real fc2.
type Answer =
  | { status: number; body: string; contentType?: string; headers?: Record<string, string> }
  | 'reset'
let next: Answer = { status: 200, body: '{}' }
let server: Server
let endpoint: string

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      if (next === 'reset') {
        request.socket.destroy()
        return
      }
      response
        .writeHead(next.status, {
          'content-type': next.contentType ?? 'application/json',
          'x-fc-request-id': 'fc-req-9',
          ...next.headers,
        })
        .end(next.body)
    })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((done) => server.close(() => done()))
})

const client = (onLog?: (log: string) => void) =>
  createGatewayClient({
    accountId: '1234567890',
    region: 'cn-shanghai',
    credentials: { accessKeyId: 'LTAIcaller', accessKeySecret: 'caller-secret' },
    functionName: 'iot-pub-gateway',
    endpoint,
    onLog,
  })

async function failureOf(answer: Answer): Promise<unknown> {
  next = answer
  return client()
    .publish(aMessage())
    .catch((thrown: unknown) => thrown)
}

// FC's error body has come in more than one spelling; fc2 reads only the first, so the status decides.
const bodies = {
  'ErrorCode/ErrorMessage': (code: string) => JSON.stringify({ ErrorCode: code, ErrorMessage: 'm' }),
  'Code/Message': (code: string) => JSON.stringify({ Code: code, Message: 'm', RequestId: 'r' }),
  'errorCode/errorMessage': (code: string) => JSON.stringify({ errorCode: code, errorMessage: 'm' }),
}

describe('the client’s errors for what FC answers', () => {
  describe.each(Object.entries(bodies))('with an error body spelt %s', (_, body) => {
    it.each([
      [429, 'ResourceExhausted'],
      [503, 'ResourceThrottled'],
      [500, 'InternalServerError'],
      [502, 'BadGateway'],
    ])('makes %i %s a retryable GatewayFailedError', async (status, code) => {
      // Act
      const error = await failureOf({ status, body: body(code) })

      // Assess
      expect(error).toBeInstanceOf(GatewayFailedError)
      expect(error).toMatchObject({ retryable: true, fcRequestId: 'fc-req-9' })
      expect((error as Error).message).toContain(String(status))
    })

    it.each([
      [403, 'SignatureNotMatch'],
      [403, 'InvalidAccessKeyID'],
      [403, 'AccessDenied'],
      [404, 'FunctionNotFound'],
      [400, 'InvalidArgument'],
      [413, 'EntityTooLarge'],
    ])('makes %i %s a non-retryable InvocationDeniedError', async (status, code) => {
      // Act
      const error = await failureOf({ status, body: body(code) })

      // Assess
      expect(error).toBeInstanceOf(InvocationDeniedError)
      expect(error).toMatchObject({ status, retryable: false, fcRequestId: 'fc-req-9' })
    })
  })

  it('keeps FC’s code when fc2 can read it', async () => {
    // Act
    const error = await failureOf({ status: 403, body: bodies['ErrorCode/ErrorMessage']('AccessDenied') })

    // Assess
    expect(error).toMatchObject({ code: 'AccessDenied' })
    expect((error as Error).message).toContain('fc:InvokeFunction')
  })

  it('names the status when fc2 cannot read FC’s code', async () => {
    // Act
    const error = await failureOf({ status: 404, body: bodies['Code/Message']('FunctionNotFound') })

    // Assess
    expect(error).toMatchObject({ code: 'HTTP404' })
  })

  it('treats a throttling code as retryable whatever its status', async () => {
    // Act
    const error = await failureOf({
      status: 400,
      body: bodies['ErrorCode/ErrorMessage']('ResourceExhausted'),
    })

    // Assess
    expect(error).toBeInstanceOf(GatewayFailedError)
  })

  it('makes a proxy’s HTML error page a retryable GatewayFailedError', async () => {
    // Act
    const error = await failureOf({ status: 502, body: '<html>502</html>', contentType: 'text/html' })

    // Assess
    expect(error).toBeInstanceOf(GatewayFailedError)
  })

  it('makes a body labelled JSON that does not parse a retryable GatewayFailedError', async () => {
    // Act
    const error = await failureOf({ status: 200, body: '{"messageId":' })

    // Assess
    expect(error).toMatchObject({ name: 'GatewayFailedError', code: 'InvalidResponse' })
  })

  it('makes a reset connection a retryable GatewayFailedError', async () => {
    // Act
    const error = await failureOf('reset')

    // Assess
    expect(error).toBeInstanceOf(GatewayFailedError)
    expect(error).toMatchObject({ retryable: true })
  })

  it('makes a refused connection a retryable GatewayFailedError', async () => {
    // Act
    const error = await createGatewayClient({
      accountId: '1',
      region: 'cn-shanghai',
      credentials: { accessKeyId: 'LTAIx', accessKeySecret: 's' },
      functionName: 'gw',
      endpoint: 'http://127.0.0.1:1',
    })
      .publish(aMessage())
      .catch((thrown: unknown) => thrown)

    // Assess
    expect(error).toMatchObject({ name: 'GatewayFailedError', code: 'ECONNREFUSED' })
  })

  it('reads a function result FC did not label JSON', async () => {
    // Act
    next = { status: 200, body: '{"messageId":"1","requestId":"r"}', contentType: 'text/plain' }
    const result = await client().publish(aMessage())

    // Assess
    expect(result).toEqual({ messageId: '1', requestId: 'r' })
  })

  it('makes a function error without the gateway’s code a GatewayFailedError named by FC’s error type', async () => {
    // Act
    const error = await failureOf({
      status: 200,
      body: '{"errorMessage":"Process exited unexpectedly","errorType":"Error"}',
      headers: { 'x-fc-error-type': 'UnhandledInvocationError' },
    })

    // Assess
    expect(error).toMatchObject({ name: 'GatewayFailedError', code: 'UnhandledInvocationError' })
  })

  it('makes a refusal without details a GatewayRefusedError with its code and message only', async () => {
    // Act
    const error = await failureOf({
      status: 200,
      body: '{"error":{"code":"Forbidden","message":"not allowed"}}',
    })

    // Assess
    expect(error).toBeInstanceOf(GatewayRefusedError)
    expect((error as Error).message).toBe('Forbidden: not allowed')
  })

  it('hands the decoded log tail to onLog', async () => {
    // Prepare
    const logs: string[] = []
    next = {
      status: 200,
      body: '{"messageId":"1","requestId":"r"}',
      headers: { 'x-fc-log-result': Buffer.from('FC Invoke Start\nline\n').toString('base64') },
    }

    // Act
    await client((log) => logs.push(log)).publish(aMessage())

    // Assess
    expect(logs).toEqual(['FC Invoke Start\nline\n'])
  })

  it.each([
    ['text that is not JSON', 'not json', 'text/plain'],
    ['JSON null', 'null', 'application/json'],
    ['a bare string', '"published"', 'application/json'],
    ['an object without a messageId', '{"foo":1}', 'application/json'],
    ['a numeric messageId', '{"messageId":1,"requestId":"r"}', 'application/json'],
    ['an error that is not the gateway’s error object', '{"error":"str"}', 'application/json'],
    ['an error object without a code', '{"error":{"message":"m"}}', 'application/json'],
  ])(
    'makes a 200 whose body is %s a retryable GatewayFailedError, never a result',
    async (_, body, contentType) => {
      // Act
      const error = await failureOf({ status: 200, body, contentType })

      // Assess
      expect(error).toBeInstanceOf(GatewayFailedError)
      expect(error).toMatchObject({ code: 'InvalidResponse', retryable: true })
      expect((error as Error).message).toMatch(/may have been published/)
    },
  )

  it('makes a batch answer that is not one result per message a GatewayFailedError', async () => {
    // Prepare
    next = { status: 200, body: '{"results":[]}' }

    // Act
    const error = await client()
      .publishBatch([aMessage(), aMessage()])
      .catch((thrown: unknown) => thrown)

    // Assess
    expect(error).toMatchObject({ name: 'GatewayFailedError', code: 'InvalidResponse' })
  })

  it('does not print an object as a function error’s message', async () => {
    // Act
    const error = await failureOf({
      status: 200,
      body: '{"errorMessage":{"nested":true}}',
      headers: { 'x-fc-error-type': 'UnhandledInvocationError' },
    })

    // Assess
    expect(error).toMatchObject({ name: 'GatewayFailedError', message: 'The invocation failed' })
  })

  it('names the TLS failure when the endpoint’s certificate is not trusted, and sends nothing', async () => {
    // Prepare
    const tls = await selfSignedTlsServer()

    // Act
    const error = await createGatewayClient({
      accountId: '1',
      region: 'cn-shanghai',
      credentials: { accessKeyId: 'LTAIx', accessKeySecret: 's' },
      functionName: 'gw',
      endpoint: tls.url,
    })
      .publish(aMessage())
      .catch((thrown: unknown) => thrown)
    await tls.stop()

    // Assess
    expect(error).toBeInstanceOf(GatewayFailedError)
    expect(error).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
    expect((error as Error).message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT')
    expect(tls.written()).toBe(0)
  })
})
