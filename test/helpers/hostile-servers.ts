/**
 * Upstreams that misbehave the ways real networks and proxies do, each on 127.0.0.1 and a free port:
 * a TLS server with a self-signed certificate, one that streams an endless body, one that never
 * accepts (its accept queue full), and a raw TCP server that writes what it is told.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { generateKeyPairSync, sign } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net'

/** A server under test and how to stop it. */
export interface Upstream {
  url: string
  /** Bytes the server managed to write before the client went away. */
  written: () => number
  /** Connections the client closed or reset. */
  closed: () => number
  stop: () => Promise<void>
}

function track(
  server: Server | ReturnType<typeof createTcpServer>,
  url: string,
  counters: { written: number },
) {
  let closed = 0
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => {
      closed++
      sockets.delete(socket)
    })
  })
  return {
    url,
    written: () => counters.written,
    closed: () => closed,
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** An HTTP server that answers 200 with headers at once, then a body that never ends. */
export async function endlessBodyServer(chunkBytes = 16 * 1024): Promise<Upstream> {
  const counters = { written: 0 }
  const chunk = Buffer.alloc(chunkBytes, 0x7b)
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' })
    const pump = () => {
      while (!response.destroyed) {
        counters.written += chunk.length
        if (!response.write(chunk)) return void response.once('drain', pump)
      }
    }
    pump()
  })
  const port = await listen(server)
  return track(server, `http://127.0.0.1:${port}`, counters)
}

/** An HTTP server that answers each request with exactly these bytes on the socket, then closes. */
export async function rawAnswerServer(answer: string | Buffer): Promise<Upstream> {
  const counters = { written: 0 }
  const server = createTcpServer((socket) => {
    socket.once('data', () => {
      counters.written += answer.length
      socket.end(answer)
    })
    socket.on('error', () => {})
  })
  const port = await listen(server)
  return track(server, `http://127.0.0.1:${port}`, counters)
}

/** A TLS server whose certificate is self-signed: no client that checks certificates talks to it. */
export async function selfSignedTlsServer(): Promise<Upstream> {
  const counters = { written: 0 }
  const server = createHttpsServer(selfSignedCertificate('127.0.0.1'), (_request, response) => {
    counters.written++
    response.end('{"RequestId":"x","Success":true,"MessageId":1}')
  })
  server.on('tlsClientError', () => {})
  const port = await listen(server)
  return track(server, `https://127.0.0.1:${port}`, counters)
}

/**
 * A listening socket that never accepts: a child process listens with a backlog of 1 (0 would mean Node's default), then is stopped
 * (SIGSTOP), and the accept queue is filled, so the kernel drops further SYNs and connects hang.
 */
export async function fullAcceptQueue(): Promise<Upstream> {
  const script = `const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{process.stdout.write(String(s.address().port)+'\\n')})`
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (data: Buffer) => resolve(Number(String(data).trim())))
    child.once('error', reject)
  })
  child.kill('SIGSTOP')
  // Queue connections until one no longer completes: from then on the queue is full.
  const fillers: Socket[] = []
  for (let n = 0; n < 64; n++) {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {})
    fillers.push(socket)
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300)
      socket.once('connect', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
    if (!connected) break
  }
  return {
    url: `http://127.0.0.1:${port}`,
    written: () => 0,
    closed: () => 0,
    stop: async () => {
      for (const socket of fillers) socket.destroy()
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    },
  }
}

/**
 * A key and a self-signed X.509 certificate for `commonName`, built with node:crypto alone (ECDSA
 * P-256, valid for a day), so that no openssl binary or extra package is needed.
 */
export function selfSignedCertificate(commonName: string): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'))
  const name = sequence(set(sequence(oid('2.5.4.3'), der(0x0c, Buffer.from(commonName)))))
  const now = Date.now()
  const tbs = sequence(
    der(0xa0, integer(2)),
    integer(now % 1_000_000),
    ecdsaWithSha256,
    name,
    sequence(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  )
  const signature = sign('sha256', tbs, privateKey)
  const certificate = sequence(tbs, ecdsaWithSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const base64 = certificate.toString('base64').replace(/.{64}/g, '$&\n')
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`,
  }
}

// DER: a tag, a definite length, the content.
function der(tag: number, content: Buffer): Buffer {
  const length = content.length
  const head =
    length < 0x80
      ? [tag, length]
      : length < 0x100
        ? [tag, 0x81, length]
        : [tag, 0x82, length >> 8, length & 0xff]
  return Buffer.concat([Buffer.from(head), content])
}

function sequence(...items: Buffer[]): Buffer {
  return der(0x30, Buffer.concat(items))
}

function set(...items: Buffer[]): Buffer {
  return der(0x31, Buffer.concat(items))
}

function integer(value: number): Buffer {
  const bytes: number[] = []
  for (let rest = value; bytes.length === 0 || rest > 0; rest = Math.floor(rest / 256))
    bytes.unshift(rest % 256)
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0)
  return der(0x02, Buffer.from(bytes))
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [first * 40 + second]
  for (const arc of rest) {
    const groups: number[] = []
    for (let value = arc; groups.length === 0 || value > 0; value = Math.floor(value / 128)) {
      groups.unshift((value % 128) | (groups.length === 0 ? 0 : 0x80))
    }
    bytes.push(...groups)
  }
  return der(0x06, Buffer.from(bytes))
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14)
  return der(0x17, Buffer.from(`${text}Z`))
}
