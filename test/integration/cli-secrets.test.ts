import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STS_SHAPED, spellingsOf } from '../helpers/secrets.js'

// The built CLI in a process of its own, so that fc2 and httpx load as they do for an operator.
const run = promisify(execFile)
let server: Server
let endpoint: string
let signatures: string[] = []

beforeAll(async () => {
  // FC's stand-in: the first call is taken, the next refused as FC refuses a bad signature.
  let calls = 0
  server = createServer((request, response) => {
    signatures.push(String(request.headers.authorization).split(':')[1] ?? '')
    request.resume()
    request.on('end', () => {
      calls++
      const [status, body] =
        calls % 2 === 1
          ? [200, '{"messageId":"889455942124347329","requestId":"r-1"}']
          : [403, '{"ErrorCode":"SignatureNotMatch","ErrorMessage":"signature does not match"}']
      response.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': 'fc-1' }).end(body)
    })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((done) => server.close(() => done()))
})

async function cli(debug: string): Promise<{ code: number; output: string }> {
  const argv = ['bin/iot-pub.cjs', 'publish', '--function', 'iot-pub-gateway', '--account-id', '1234567890']
  argv.push('--region', 'cn-shanghai', '--endpoint', endpoint, '--product', 'a1Q5XoYtest', '--device', 'd')
  argv.push('--topic', 'get', '--payload', 'x')
  const env = {
    PATH: process.env.PATH ?? '',
    DEBUG: debug,
    ALIBABA_CLOUD_ACCESS_KEY_ID: STS_SHAPED.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS_SHAPED.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: STS_SHAPED.securityToken,
  }
  try {
    const { stdout, stderr } = await run(process.execPath, argv, { env, timeout: 20_000 })
    return { code: 0, output: stdout + stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, output: stdout + stderr }
  }
}

describe('the CLI on the invoke API, with DEBUG switching on every library’s tracing', () => {
  it.each(['*', 'httpx:*'])(
    'prints neither the security token, the secret nor the signature (DEBUG=%s), published or denied',
    async (debug) => {
      // Prepare
      signatures = []

      // Act: one call published, one denied
      const published = await cli(debug)
      const denied = await cli(debug)

      // Assess
      expect(published.code).toBe(0)
      expect(published.output).toContain('889455942124347329')
      expect(denied.code).toBe(1)
      expect(denied.output).toContain('SignatureNotMatch')
      const secrets = [STS_SHAPED.securityToken, STS_SHAPED.accessKeySecret, ...signatures].flatMap(
        spellingsOf,
      )
      for (const secret of secrets.filter((s) => s.length > 8)) {
        expect(published.output).not.toContain(secret)
        expect(denied.output).not.toContain(secret)
      }
    },
  )
})
