/** A loopback HTTP proxy that records each request's method, URL and headers on its way to a target. */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request the proxy passed on. */
export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
}

/** A running proxy: its URL, what it saw, and how to stop it. */
export interface RecordingProxy {
  url: string
  requests: RecordedRequest[]
  stop(): Promise<void>
}

/**
 * Starts a proxy on 127.0.0.1 forwarding everything, Host header included, to `target`.
 * @example const proxy = await startRecordingProxy(gateway.url)
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = []
  const { hostname, port } = new URL(target)
  const server = createServer((incoming, outgoing) => {
    requests.push({ method: incoming.method ?? '', url: incoming.url ?? '', headers: incoming.headers })
    const forward = httpRequest(
      { hostname, port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
      },
    )
    incoming.pipe(forward)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}
