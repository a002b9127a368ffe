import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../client/cli.js'
import { captureCliIo } from '../helpers/cli-io.js'
import { aMessage } from '../helpers/factories.js'
import { useLocalGateway } from '../helpers/local-gateway.js'

const localGateway = useLocalGateway()
// A server that only counts what reaches it, to show that usage errors send nothing.
let counter: Server
let requests = 0

beforeAll(async () => {
  counter = createServer((_, response) => {
    requests++
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
  await new Promise<void>((done) => counter.listen(0, '127.0.0.1', done))
})

afterAll(async () => {
  await new Promise((done) => counter.close(done))
})

const io = captureCliIo

function aFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cli-')), 'messages.json')
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

const counterUrl = () => `http://127.0.0.1:${(counter.address() as AddressInfo).port}/`
const message = ['--product', 'a1Q5XoYtest', '--device', 'd', '--topic', 'get', '--payload', 'hi']

describe('iot-pub usage errors (exit 2, decided before any request)', () => {
  it.each([
    [['--qos', 'one'], '--qos must be 0 or 1, not "one"'],
    [['--qos', '1.0'], '--qos must be 0 or 1'],
    [['--payload-base64', 'aGk='], 'give --payload or --payload-base64, not both'],
    [['--topic-full-name', '/a1Q5XoYtest/d/user/get'], 'give --topic-full-name or --device, not both'],
    [['--batch-size', '0'], '--batch-size (or MAX_BATCH_SIZE) must be a whole number of 1 or more'],
    [['--file', 'x.json'], '--product and --file do not go together'],
    [['--function', 'f'], 'give --url or --function, not both'],
  ])('%j', async (extra, reason) => {
    // Prepare
    const before = requests
    const { err, io: cliIo } = io()

    // Act
    const code = await runCli(['publish', ...message, '--url', counterUrl(), ...extra], cliIo)

    // Assess
    expect(code).toBe(2)
    expect(err.join('\n')).toContain(reason)
    expect(err.join('\n')).toContain('(exit 2)')
    expect(requests).toBe(before)
  })

  it('refuses --api-key with --function', async () => {
    // Prepare
    const { err, io: cliIo } = io()

    // Act
    const code = await runCli(['publish', ...message, '--function', 'f', '--api-key', 'k'], cliIo)

    // Assess
    expect(code).toBe(2)
    expect(err[0]).toContain('--api-key goes with an HTTP target, not --function')
  })

  it('refuses a file that is not JSON, naming it, before any request', async () => {
    // Prepare
    const file = aFile('{"productKey": ')
    const before = requests
    const { err, io: cliIo } = io()

    // Act
    const code = await runCli(['publish', '--file', file, '--url', counterUrl()], cliIo)

    // Assess
    expect(code).toBe(2)
    expect(err[0]).toContain(`${file} is not JSON`)
    expect(requests).toBe(before)
  })

  it('writes usage errors as one JSON object with --json', async () => {
    // Prepare
    const { err, io: cliIo } = io()

    // Act
    const code = await runCli(['publish', ...message, '--qos', 'one', '--json', '--url', counterUrl()], cliIo)

    // Assess
    expect(code).toBe(2)
    expect(JSON.parse(err[0] ?? '')).toEqual({
      error: { message: '--qos must be 0 or 1, not "one"', exitCode: 2 },
    })
  })
})

describe('iot-pub failures (exit 1), in the same format on every target', () => {
  it('names the URL and the cause when the target cannot be reached', async () => {
    // Prepare: a port just freed, so nothing listens on it
    const closed = createServer()
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done))
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`
    await new Promise((done) => closed.close(done))
    const { err, io: cliIo } = io()

    // Act
    const code = await runCli(['publish', ...message, '--url', url, '--api-key', 'k'], cliIo)

    // Assess
    expect(code).toBe(1)
    expect(err).toEqual([`iot-pub: cannot reach ${url}: ECONNREFUSED (exit 1)`])
  })

  it('suggests --api-key or IOT_PUB_API_KEY on a 401', async () => {
    // Prepare
    const { err, io: cliIo } = io()

    // Act
    const code = await runCli(
      ['publish', ...message, '--url', `${localGateway().url}/`, '--api-key', 'wrong-key'],
      cliIo,
    )

    // Assess
    expect(code).toBe(1)
    expect(err.at(-1)).toBe(
      `iot-pub: ${localGateway().url}/ answered 401: give the API key with --api-key or IOT_PUB_API_KEY (exit 1)`,
    )
  })

  it('names the status and the gateway’s code on a refusal, as JSON with --json', async () => {
    // Prepare
    const { err, io: cliIo } = io()

    // Act
    const code = await runCli(
      [
        'publish',
        '--product',
        'a1Q5XoYtest',
        '--device',
        'd',
        '--topic',
        '/full',
        '--payload',
        '1',
        '--url',
        `${localGateway().url}/`,
        '--api-key',
        'local-dev-key',
        '--json',
      ],
      cliIo,
    )

    // Assess
    expect(code).toBe(1)
    expect(JSON.parse(err.at(-1) ?? '')).toEqual({
      error: { message: expect.stringMatching(/answered 400 InvalidRequest: /), exitCode: 1 },
    })
  })
})

describe('iot-pub with a file over the batch limit', () => {
  it('sends it in chunks of --batch-size, with progress on stderr, results in order', async () => {
    // Prepare
    const file = aFile(Array.from({ length: 7 }, (_, index) => aMessage({ payload: index })))
    const deliveredBefore = localGateway().emulator?.delivered.length ?? 0
    const { out, err, io: cliIo } = io()

    // Act
    const code = await runCli(
      [
        'publish',
        '--file',
        file,
        '--url',
        `${localGateway().url}/`,
        '--api-key',
        'local-dev-key',
        '--batch-size',
        '3',
        '--verbose',
      ],
      cliIo,
    )

    // Assess
    expect(code).toBe(0)
    expect(err.filter((line) => line.includes('sent'))).toEqual([
      'iot-pub: sent 3/7 messages',
      'iot-pub: sent 6/7 messages',
      'iot-pub: sent 7/7 messages',
    ])
    expect(err.filter((line) => /POST .* 200 in \d+ ms$/.test(line))).toHaveLength(3)
    expect((JSON.parse(out[0] ?? '') as { results: unknown[] }).results).toHaveLength(7)
    expect(
      localGateway()
        .emulator?.delivered.slice(deliveredBefore)
        .map((m) => m.payload.toString()),
    ).toEqual(Array.from({ length: 7 }, (_, n) => String(n)))
  })

  it('takes MAX_BATCH_SIZE from the shell as the chunk size', async () => {
    // Prepare
    const file = aFile({ messages: [aMessage(), aMessage(), aMessage()] })
    const { err, io: cliIo } = io({ MAX_BATCH_SIZE: '2' })

    // Act
    const code = await runCli(
      ['publish', '--file', file, '--url', `${localGateway().url}/`, '--api-key', 'local-dev-key'],
      cliIo,
    )

    // Assess
    expect(code).toBe(0)
    expect(err).toEqual(['iot-pub: sent 2/3 messages', 'iot-pub: sent 3/3 messages'])
  })
})

describe('iot-pub --dry-run', () => {
  it('checks the messages with the gateway’s own schema and sends nothing', async () => {
    // Prepare
    const file = aFile(Array.from({ length: 7 }, () => aMessage()))
    const before = requests
    const { out, io: cliIo } = io()

    // Act
    const code = await runCli(['publish', '--file', file, '--url', counterUrl(), '--dry-run'], cliIo)

    // Assess
    expect(code).toBe(0)
    expect(JSON.parse(out[0] ?? '')).toEqual({ valid: true, messages: 7, sent: 0 })
    expect(requests).toBe(before)
  })

  it.each([
    [['--qos', '1', '--topic-full-name', '/a1Q5XoYtest/d/user/get', '--device', 'x'], 2],
    [['--payload-base64', 'a'], 2],
  ])('still decides usage first: %j exits %i', async (extra, exitCode) => {
    // Prepare
    const { io: cliIo } = io()

    // Act
    const code = await runCli(
      [
        'publish',
        '--product',
        'a1Q5XoYtest',
        '--device',
        'd',
        '--topic',
        'get',
        '--payload',
        '1',
        ...extra,
        '--url',
        counterUrl(),
        '--dry-run',
      ],
      cliIo,
    )

    // Assess
    expect(code).toBe(exitCode)
  })

  it('names what the gateway would refuse, and sends nothing', async () => {
    // Prepare
    const before = requests
    const { err, io: cliIo } = io({ MAX_PAYLOAD_BYTES: '4' })

    // Act
    const code = await runCli(
      [
        'publish',
        '--product',
        'a1Q5XoYtest',
        '--device',
        'd',
        '--topic',
        '/a1Q5XoYtest/d/user/get',
        '--payload',
        '"12345"',
        '--url',
        counterUrl(),
        '--dry-run',
      ],
      cliIo,
    )
    const tooLarge = await runCli(
      [
        'publish',
        '--product',
        'a1Q5XoYtest',
        '--device',
        'd',
        '--topic',
        'get',
        '--payload',
        '"12345"',
        '--url',
        counterUrl(),
        '--dry-run',
      ],
      cliIo,
    )

    // Assess
    expect(code).toBe(1)
    expect(err[0]).toMatch(
      /^iot-pub: not valid, nothing sent: .* \(\/topic: is a full topic: send .* as topicFullName/,
    )
    expect(tooLarge).toBe(1)
    expect(err.at(-1)).toContain('(/payload: decodes to 5 bytes, over 4)')
    expect(requests).toBe(before)
  })
})
