import { Agent, createServer, type IncomingMessage, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import {
  MAX_RESPONSE_BYTES,
  PubExchangeError,
  read,
  request,
  type TransportOptions,
} from '../../../lib/iot/pub-transport.js'
import {
  endlessBodyServer,
  fullAcceptQueue,
  rawAnswerServer,
  selfSignedTlsServer,
  type Upstream,
} from '../../helpers/hostile-servers.js'

const PUB_ANSWER = '{"RequestId":"R","Success":true,"MessageId":1889455942124347329}'

// What pop-core does with the transport: request, then read.
async function call(url: string, options: TransportOptions = {}): Promise<Buffer> {
  const answer = await request(url, { method: 'POST', data: 'Action=Pub', timeout: 1_000, ...options })
  return read(answer)
}

async function failure(promise: Promise<unknown>): Promise<PubExchangeError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(PubExchangeError)
      return error as PubExchangeError
    },
  )
}

const servers: { stop: () => Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()))
})

async function serve(
  handler: Parameters<typeof createServer>[1],
): Promise<Upstream & { server: Server; connections: () => number }> {
  const server = createServer(handler)
  let connections = 0
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const upstream = {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    written: () => 0,
    closed: () => 0,
    connections: () => connections,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  servers.push(upstream)
  return upstream
}

async function hostile(upstream: Promise<Upstream>): Promise<Upstream> {
  const started = await upstream
  servers.push(started)
  return started
}

describe('the Pub transport', () => {
  it('reads an answer whole and keeps the connection for the next call', async () => {
    // Prepare
    const upstream = await serve((_request, response) => response.end(PUB_ANSWER))
    const agent = new Agent({ keepAlive: true })

    // Act
    const first = await call(upstream.url, { agent })
    const second = await call(upstream.url, { agent })
    agent.destroy()

    // Assess
    expect(first.toString()).toBe(PUB_ANSWER)
    expect(second.toString()).toBe(PUB_ANSWER)
    expect(upstream.connections()).toBe(1)
  })

  it('cuts an answer that comes after the time limit, as one that may have been delivered', async () => {
    // Prepare
    const upstream = await serve((_request, response) => setTimeout(() => response.end(PUB_ANSWER), 2_000))
    let closed = false
    upstream.server.on('connection', (socket) => socket.on('close', () => (closed = true)))
    const started = performance.now()

    // Act
    const error = await failure(call(upstream.url, { timeout: 200 }))

    // Assess
    expect(performance.now() - started).toBeLessThan(600)
    expect(error).toMatchObject({ code: 'ResponseTimeout', maybeDelivered: true })
    await expect.poll(() => closed).toBe(true)
  })

  it('counts the time limit from the start of the call, not from the connection', async () => {
    // Prepare: a DNS lookup that takes 400 ms, then a server that answers 400 ms late
    const upstream = await serve((_request, response) => setTimeout(() => response.end(PUB_ANSWER), 400))
    const agent = new Agent({
      lookup: ((_host: string, _options: unknown, callback: (...args: unknown[]) => void) =>
        setTimeout(() => callback(null, [{ address: '127.0.0.1', family: 4 }]), 400)) as never,
    })
    const started = performance.now()

    // Act
    const error = await failure(call(upstream.url.replace('127.0.0.1', 'iot.test'), { agent, timeout: 600 }))

    // Assess: httpx would have allowed 600 ms after connecting, answering at 800 ms
    expect(error.code).toBe('ResponseTimeout')
    expect(performance.now() - started).toBeLessThan(750)
  })

  it('is needed: httpx, given the same slow lookup and late answer, waits past its time limit', async () => {
    // Prepare: httpx starts its read timer at connect, so the lookup's time comes on top
    const httpx = createRequire(import.meta.url)('httpx') as {
      request(url: string, options: object): Promise<IncomingMessage>
      read(response: IncomingMessage): Promise<Buffer>
    }
    const upstream = await serve((_request, response) => setTimeout(() => response.end(PUB_ANSWER), 400))
    const agent = new Agent({
      lookup: ((_host: string, _options: unknown, callback: (...args: unknown[]) => void) =>
        setTimeout(() => callback(null, [{ address: '127.0.0.1', family: 4 }]), 400)) as never,
    })
    const started = performance.now()

    // Act
    const answer = await httpx.request(upstream.url.replace('127.0.0.1', 'iot.test'), {
      method: 'POST',
      agent,
      timeout: 600,
    })
    await httpx.read(answer)

    // Assess
    expect(performance.now() - started).toBeGreaterThan(750)
  })

  it('cuts a DNS lookup that never answers, as a call that cannot have been delivered', async () => {
    // Prepare
    const agent = new Agent({ lookup: (() => undefined) as never })
    const started = performance.now()

    // Act
    const error = await failure(call('http://iot.test/', { agent, timeout: 200 }))

    // Assess
    expect(error).toMatchObject({ code: 'ConnectTimeout', maybeDelivered: false })
    expect(performance.now() - started).toBeLessThan(600)
  })

  it('reports a failed DNS lookup as undelivered', async () => {
    // Prepare
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND iot.test'), { code: 'ENOTFOUND' })
    const agent = new Agent({
      lookup: ((_host: string, _options: unknown, callback: (error: Error) => void) =>
        process.nextTick(callback, notFound)) as never,
    })

    // Act
    const error = await failure(call('http://iot.test/', { agent }))

    // Assess
    expect(error).toMatchObject({ code: 'ENOTFOUND', maybeDelivered: false })
  })

  it('cuts a connect to a server whose accept queue is full, as undelivered', async () => {
    // Prepare
    const upstream = await hostile(fullAcceptQueue())
    const started = performance.now()

    // Act
    const error = await failure(call(upstream.url, { timeout: 300 }))

    // Assess
    expect(error).toMatchObject({ code: 'ConnectTimeout', maybeDelivered: false })
    expect(performance.now() - started).toBeLessThan(800)
  })

  it('refuses a self-signed certificate before sending anything', async () => {
    // Prepare
    const upstream = await hostile(selfSignedTlsServer())

    // Act
    const error = await failure(call(upstream.url))

    // Assess
    expect(error).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', maybeDelivered: false })
    expect(upstream.written()).toBe(0)
  })

  it('reports a refused connection as undelivered', async () => {
    // Prepare: a port that was free a moment ago
    const upstream = await serve(() => undefined)
    await upstream.stop()

    // Act
    const error = await failure(call(upstream.url))

    // Assess
    expect(error).toMatchObject({ code: 'ECONNREFUSED', maybeDelivered: false })
  })

  it('reports a reset after the request was written as possibly delivered', async () => {
    // Prepare
    const upstream = await serve((request) => request.socket.resetAndDestroy())

    // Act
    const error = await failure(call(upstream.url))

    // Assess
    expect(error).toMatchObject({ code: 'ECONNRESET', maybeDelivered: true })
  })

  it('stops reading an endless body at the cap and closes the connection', async () => {
    // Prepare
    const upstream = await hostile(endlessBodyServer())

    // Act
    const error = await failure(call(upstream.url, { timeout: 5_000 }))

    // Assess
    expect(error).toMatchObject({ code: 'ResponseTooLarge', maybeDelivered: true, statusCode: 200 })
    await expect.poll(() => upstream.closed()).toBe(1)
  })

  it('stops an endless body that trickles in below the cap at the time limit', async () => {
    // Prepare
    const upstream = await serve((_request, response) => {
      response.writeHead(200)
      const timer = setInterval(() => response.write('{'), 20)
      response.on('close', () => clearInterval(timer))
    })

    // Act
    const error = await failure(call(upstream.url, { timeout: 300 }))

    // Assess
    expect(error.code).toBe('ResponseTimeout')
  })

  it('refuses an announced body over the cap without reading it', async () => {
    // Prepare
    const upstream = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': String(MAX_RESPONSE_BYTES + 1) })
      response.write('{')
    })

    // Act
    const error = await failure(call(upstream.url))

    // Assess
    expect(error.code).toBe('ResponseTooLarge')
  })

  it.each([
    [502, true],
    [504, true],
    [200, true],
    [503, false],
    [429, false],
  ])(
    'reports a body that is not JSON with HTTP %i as an invalid response (possibly delivered: %s)',
    async (status, maybe) => {
      // Prepare
      const upstream = await serve((_request, response) => {
        response.writeHead(status, { 'content-type': 'text/html', 'retry-after': '7' })
        response.end('<html>Bad Gateway</html>')
      })

      // Act
      const error = await failure(call(upstream.url))

      // Assess
      expect(error).toMatchObject({
        code: 'InvalidResponse',
        maybeDelivered: maybe,
        statusCode: status,
        retryAfter: '7',
      })
    },
  )

  it('never inflates a compressed answer it did not ask for', async () => {
    // Prepare
    const upstream = await serve((_request, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip' })
      response.end(gzipSync(PUB_ANSWER))
    })

    // Act
    const error = await failure(call(upstream.url))

    // Assess
    expect(error.code).toBe('InvalidResponse')
  })

  it('reports an answer HTTP cannot parse with Node’s parser code', async () => {
    // Prepare
    const upstream = await hostile(rawAnswerServer('HTTP/1.1 2x0 OK\r\n\r\n{}'))

    // Act
    const error = await failure(call(upstream.url))

    // Assess
    expect(error.code).toMatch(/^HPE_/)
    expect(error.maybeDelivered).toBe(true)
  })

  it('leaves no timer running after a call ends either way', async () => {
    // Prepare
    const upstream = await serve((request, response) =>
      request.url === '/late' ? undefined : response.end(PUB_ANSWER),
    )
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
    await new Promise((resolve) => setTimeout(resolve, 100)) // earlier tests' servers wind down
    const before = timers()

    // Act
    await call(upstream.url, { timeout: 60_000 })
    await failure(call(`${upstream.url}late`, { timeout: 100 }))

    // Assess
    expect(timers()).toBeLessThanOrEqual(before)
  })
})
