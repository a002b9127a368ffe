import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { anHttpEvent } from '../helpers/factories.js'
import { invokeInFreshProcess } from '../helpers/gateway.js'

// Built by `npm test`'s build step; esbuild's metafile says what went into the bundle.
const meta = JSON.parse(readFileSync('dist/meta.json', 'utf8')) as {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>
}
const inputs = Object.keys(meta.outputs['dist/gateway/index.js']?.inputs ?? {})
// The innermost node_modules names the package (one may nest another's copy).
const packages = new Set(
  inputs.flatMap((path) => path.match(/.*node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? []),
)

describe('the deployed bundle', () => {
  it('carries only what the function runs, each package listed in docs/security.md', () => {
    // Assess
    expect([...packages].sort()).toEqual([
      '@alicloud/pop-core',
      '@middy/core',
      'ajv',
      'json-bigint',
      'lossless-json',
    ])
  })

  it('carries ajv’s generated validator, not its compiler', () => {
    // Assess
    expect(inputs.filter((path) => path.includes('node_modules/ajv/'))).toEqual([
      'node_modules/ajv/dist/runtime/ucs2length.js',
    ])
    expect(inputs).toContain('dist/generated/schema-validator.cjs')
  })

  it('gives pop-core a json-bigint that keeps big numbers as digits, and no bignumber.js', () => {
    // Assess
    expect(inputs).toContain('lib/iot/pop-core-json.ts')
    expect(inputs).toContain('left-out:bignumber.js')
    expect(inputs.filter((path) => path.includes('node_modules/bignumber.js/'))).toEqual([])
  })

  it('gives pop-core’s RPC client a percent-encoding of one pass, not its five chained replaces', () => {
    // Prepare
    const bundle = readFileSync('dist/gateway/index.js', 'utf8')

    // Assess
    expect(inputs).toContain('lib/iot/pop-core-encode.ts')
    expect(bundle).not.toContain('.replace(/\\*/g,"%2A")')
  })

  it('gives pop-core’s RPC client nonces from randomUUID, not kitx’s md5 of Math.random()', () => {
    // Assess
    expect(inputs).toContain('lib/iot/pop-core-kitx.ts')
    expect(inputs.filter((path) => path.includes('node_modules/kitx/'))).toEqual([])
  })

  it('gives pop-core’s RPC client the gateway’s transport (one time limit per call), not httpx', () => {
    // Assess
    expect(inputs).toContain('lib/iot/pub-transport.ts')
    expect(inputs.filter((path) => path.includes('node_modules/httpx/'))).toEqual([])
  })

  it.each(['@alicloud/fc2', 'ali-oss', 'axios', 'xml2js', 'debug'])('leaves out %s', (name) => {
    // Assess
    expect(packages.has(name)).toBe(false)
  })

  it('loads neither Node’s assert nor its web streams at cold start, which only pop-core’s checks and middy’s streamed responses use', () => {
    // Act
    const loaded = execFileSync(process.execPath, [
      '-e',
      "const before = new Set(process.moduleLoadList); require('./dist/gateway/index.js'); console.log(JSON.stringify(process.moduleLoadList.filter((name) => !before.has(name))))",
    ]).toString()

    // Assess: Node's own modules the bundle loaded, read as it lists them
    const modules = (JSON.parse(loaded) as string[]).map((name) => name.replace(/^NativeModule /, ''))
    expect(modules).toContain('https')
    expect(modules).not.toContain('assert')
    expect(modules).not.toContain('stream/web')
  })

  it('keeps the Redis client in a file of its own, read only when REDIS_URL is set', () => {
    // Prepare
    const redisMeta = JSON.parse(readFileSync('dist/meta-ioredis.json', 'utf8')) as typeof meta
    const redisInputs = Object.keys(redisMeta.outputs['dist/gateway/ioredis.js']?.inputs ?? {})
    const bundle = readFileSync('dist/gateway/index.js', 'utf8')

    // Assess
    expect(inputs.filter((path) => path.includes('node_modules/ioredis/'))).toEqual([])
    expect(redisInputs).toContain('node_modules/ioredis/built/Redis.js')
    expect(bundle).toContain('import("./ioredis.js")')
  })

  it('leaves out the development tools: emulator, local runner, benchmarks', () => {
    // Assess
    expect(inputs.filter((path) => /^(dev|bench|test)\//.test(path))).toEqual([])
  })

  it.each([
    ['GET', '/health', 405],
    ['GET', '/_emulator', 405],
    ['PUT', '/_emulator/quota', 405],
    ['POST', '/_emulator/faults', 400],
  ])(
    'has no local-runner route: %s %s reaches the gateway and is answered %i',
    async (method, path, status) => {
      // Prepare
      const bundle = readFileSync('dist/gateway/index.js', 'utf8')
      const event = anHttpEvent(
        { fault: 'reset', times: 1000 },
        { method, rawPath: path, headers: { 'Content-Type': 'application/json' } },
      )

      // Act
      const { answer } = await invokeInFreshProcess(event, {
        IOT_REGION: 'cn-shanghai',
        GATEWAY_AUTH: 'none',
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIx',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'never-used-secret',
      })

      // Assess
      expect(bundle).not.toMatch(/_emulator|\/health/)
      expect(answer.statusCode).toBe(status)
      expect(answer.body).not.toContain('"quotaQps"')
    },
  )

  it('runs from a folder of its own, with no node_modules anywhere above it', async () => {
    // Prepare: a copy outside the project, as FC unpacks `code`
    const folder = mkdtempSync(join(tmpdir(), 'gateway-bundle-'))
    cpSync('dist/gateway', folder, { recursive: true })
    const event = anHttpEvent({ productKey: 'pk', qos: 7 }, { headers: {} })

    // Act
    const { answer } = await invokeInFreshProcess(
      event,
      {
        IOT_REGION: 'cn-shanghai',
        GATEWAY_AUTH: 'none',
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIx',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'never-used-secret',
      },
      { bundle: join(folder, 'index.js'), cwd: folder },
    )
    rmSync(folder, { recursive: true, force: true })

    // Assess: validation ran (ajv) and answered, without any package from outside the folder
    expect(answer).toMatchObject({ statusCode: 400 })
    expect(JSON.parse(answer.body).error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ pointer: '/qos' })]),
    )
  })
})
