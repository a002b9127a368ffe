/**
 * `npm run bench:compare`: the gateway side by side with its floor and its peers, against the IoT
 * emulator running in a process of its own on loopback:
 *   1. the floor: keep-alive HTTP POSTs of Pub requests signed beforehand;
 *   2. direct @alicloud/pop-core: RPCClient.request('Pub', …, { method: 'POST' });
 *   3. the official @alicloud/iot20180120 SDK's pub();
 *   4. a hand-written relay (pop-core behind the schema alone) invoked with FC HTTP events, for scale;
 *   5. the gateway: the built bundle's handler invoked with the same events;
 *   6. the gateway with the fleet's shared rate limit on a real redis-server over loopback (one script
 *      round trip per message).
 * Also cold start, batch throughput, TCP connections per 1,000 invocations, peak RSS and bundle size.
 */
import { execFile } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import Iot, * as $Iot from '@alicloud/iot20180120'
import * as $OpenApi from '@alicloud/openapi-client'
import RPCClient from '@alicloud/pop-core/lib/rpc.js'
import { build } from 'esbuild'
import { DEV_CREDENTIALS } from '../dev/iot-emulator/server.js'
import { signPubRequest } from '../dev/iot-emulator/signed-request.js'
import { startRedisServer } from '../test/helpers/redis-server.js'
import {
  forkEmulator,
  loadBundle,
  loadFreshBundle,
  machine,
  percentile,
  silenceGatewayLogs,
} from './support.js'

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 3_000)
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 4_000)
const CONCURRENCY = 16
// Calls per row before the warm figures: V8 is still optimizing Node's HTTP client, pop-core and the
// gateway until about 4,000 calls (--trace-opt), and a warm instance serves long after that.
const WARMING = Number(process.env.BENCH_WARMING ?? 5_000)
const ROUND = 50
const COLD_STARTS = 21

type Publish = (n: number) => Promise<unknown>
interface Row {
  name: string
  p50: number
  p99: number
  /** p50 over the row's first WARMING calls, while V8 is still optimizing. */
  p50WhileWarming: number
  sequentialPerSecond: number
  concurrentPerSecond: number
}

silenceGatewayLogs()
const emulator = await forkEmulator()
const { url } = emulator

const message = (n: number) => ({
  productKey: 'a1BenchPk01',
  deviceName: `device${n % 100}`,
  topic: 'cmd',
  payload: { n },
})
const pubParameters = (n: number) => ({
  ProductKey: 'a1BenchPk01',
  TopicFullName: `/a1BenchPk01/device${n % 100}/user/cmd`,
  MessageContent: Buffer.from(JSON.stringify({ n })).toString('base64'),
  Qos: '0',
})

// 1. The floor: every request signed before the clock starts (each with its own nonce).
const floorAgent = new Agent({ keepAlive: true })
const signedBodies: string[] = []
const floor: Publish = (n) => {
  const body = signedBodies[n % signedBodies.length] ?? ''
  return new Promise((done, fail) => {
    const call = request(
      url,
      {
        method: 'POST',
        agent: floorAgent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          response.statusCode === 200
            ? done(Buffer.concat(chunks))
            : fail(new Error(Buffer.concat(chunks).toString())),
        )
      },
    )
    call.on('error', fail)
    call.end(body)
  })
}
function signAhead(count: number): void {
  signedBodies.length = 0
  for (let n = 0; n < count; n++)
    signedBodies.push(new URLSearchParams(signPubRequest(pubParameters(n))).toString())
}

// 2. Direct pop-core, as a careful user would call it.
const popCore = new RPCClient({
  endpoint: url,
  apiVersion: '2018-01-20',
  accessKeyId: DEV_CREDENTIALS.accessKeyId,
  accessKeySecret: DEV_CREDENTIALS.accessKeySecret,
})
const direct: Publish = (n) => popCore.request('Pub', pubParameters(n), { method: 'POST' })

// 3. The official SDK with its defaults (signature V3, ACS3-HMAC-SHA256), told only where the emulator is.
const { hostname, port } = new URL(url)
const SdkClient = ((Iot as unknown as { default?: unknown }).default ?? Iot) as new (
  config: $OpenApi.Config,
) => { pub(request: $Iot.PubRequest): Promise<unknown> }
const sdk = new SdkClient(
  new $OpenApi.Config({
    ...DEV_CREDENTIALS,
    endpoint: `${hostname}:${port}`,
    protocol: 'http',
    regionId: 'cn-shanghai',
  }),
)
const viaSdk: Publish = (n) => {
  const p = pubParameters(n)
  return sdk.pub(
    new $Iot.PubRequest({
      productKey: p.ProductKey,
      topicFullName: p.TopicFullName,
      messageContent: p.MessageContent,
      qos: 0,
    }),
  )
}

// 5. The gateway's bundle, its rate limit lifted: this measures overhead, not the account quota.
const handler = loadBundle({ IOT_ENDPOINT: url, GATEWAY_AUTH: 'none', PUB_QPS_LIMIT: '1000000' })
const context = { requestId: 'bench', function: { name: 'bench', timeout: 30 } }
const httpEvent = (body: unknown) =>
  Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: '/',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method: 'POST' } },
    }),
  )
// FC builds the event before the function runs: the events are ready before the clock starts.
const events = Array.from({ length: 1_000 }, (_, n) => httpEvent(message(n)))
// A row that hands the prepared events to a function and expects an HTTP 200 from it.
const invoking =
  (invoke: (event: Buffer) => Promise<unknown>): Publish =>
  async (n) => {
    const response = (await invoke(events[n % events.length] as Buffer)) as {
      statusCode: number
      body: string
    }
    if (response.statusCode !== 200) throw new Error(response.body)
    return response
  }
const gateway = invoking((event) => handler(event, context))
// Each instance reads its settings on its first invocation: this one, before REDIS_URL is set.
await handler(events[0] as Buffer, context)

// 6. Another instance of the bundle, given REDIS_URL: its limit is the fleet's, in Redis.
const redis = await startRedisServer()
process.env.REDIS_URL = redis.url
const redisHandler = loadFreshBundle()
await redisHandler(events[0] as Buffer, context)
delete process.env.REDIS_URL
const gatewayWithRedis = invoking((event) => redisHandler(event, context))

// 4. A hand-written relay: pop-core behind the schema compiled at run time, with no logs, retries or
// limits, bundled the same way and fed the gateway's events. It also stands for the cold start the gateway must beat.
const baseline = resolve('dist/bench-baseline/index.cjs')
await build({
  entryPoints: ['bench/baseline-entry.ts'],
  outfile: baseline,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  logLevel: 'warning',
})
const baselineHandler = (
  createRequire(import.meta.url)(baseline) as { handler: (event: Buffer) => Promise<unknown> }
).handler
const handWritten = invoking(baselineHandler)

// Latency: rows take turns in short sequential rounds, so that drift of the machine weighs on all of them
// alike, while within a round each row follows itself, as a deployed function's invocations do (taking
// turns call by call instead puts each row in caches another row just filled, and skews the figures).
// The first WARMING calls of each row are measured apart: they show a fresh instance, the rest a warm one.
// Throughput at concurrency 16 is measured afterwards, row by row, so that no burst of one row lands in
// another's latency round.
async function measureAll(publishers: [string, Publish][]): Promise<Row[]> {
  signAhead(WARMING + SEQUENTIAL + CONCURRENT)
  const warming = await sequentialRounds(publishers, 0, WARMING)
  const warm = await sequentialRounds(publishers, WARMING, SEQUENTIAL)
  const rows: Row[] = []
  for (const [index, [name, publish]] of publishers.entries()) {
    let next = WARMING + SEQUENTIAL
    const end = next + CONCURRENT
    const concurrentStart = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let n = next++; n < end; n = next++) await publish(n)
      }),
    )
    const sorted = (warm.latencies[index] ?? []).sort((a, b) => a - b)
    rows.push({
      name,
      p50: round(percentile(sorted, 0.5), 3),
      p99: round(percentile(sorted, 0.99), 3),
      p50WhileWarming: round(
        percentile(
          (warming.latencies[index] ?? []).sort((a, b) => a - b),
          0.5,
        ),
        3,
      ),
      sequentialPerSecond: Math.round((SEQUENTIAL * 1_000) / (warm.elapsedMs[index] ?? 1)),
      concurrentPerSecond: Math.round((CONCURRENT * 1_000) / (performance.now() - concurrentStart)),
    })
  }
  return rows
}

// `count` calls per row from message `first` on, in interleaved rounds of ROUND: each call's latency, and
// each row's time in all.
async function sequentialRounds(publishers: [string, Publish][], first: number, count: number) {
  const latencies = publishers.map((): number[] => [])
  const elapsedMs = publishers.map(() => 0)
  for (let start = first; start < first + count; start += ROUND) {
    for (const [index, [, publish]] of publishers.entries()) {
      const started = performance.now()
      for (let n = start; n < Math.min(start + ROUND, first + count); n++) {
        const t0 = performance.now()
        await publish(n)
        latencies[index]?.push(performance.now() - t0)
      }
      elapsedMs[index] = (elapsedMs[index] ?? 0) + performance.now() - started
    }
  }
  return { latencies, elapsedMs }
}

const rows = await measureAll([
  ['floor', floor],
  ['pop-core', direct],
  ['iot20180120 SDK', viaSdk],
  ['hand-written relay', handWritten],
  ['gateway', gateway],
  ['gateway + Redis limiter', gatewayWithRedis],
])

// Batches of 100 at PUB_CONCURRENCY 16, against pop-core at 16 calls in flight, in alternating rounds
// of 400 messages each, so that both see the machine in the same state.
const batchEvent = httpEvent({ messages: Array.from({ length: 100 }, (_, n) => message(n)) })
await handler(batchEvent, context)
const BATCH_ROUNDS = 10
let batchMs = 0
let popCoreMs = 0
for (let r = 0; r < BATCH_ROUNDS; r++) {
  let started = performance.now()
  for (let b = 0; b < 4; b++) await handler(batchEvent, context)
  batchMs += performance.now() - started
  started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = next++; n < 400; n = next++) await direct(n)
    }),
  )
  popCoreMs += performance.now() - started
}
const batchPerSecond = Math.round((BATCH_ROUNDS * 400 * 1_000) / batchMs)
const popCoreAlongsidePerSecond = Math.round((BATCH_ROUNDS * 400 * 1_000) / popCoreMs)

// Cold start: process start to the first answered invocation, in fresh processes. The overhead over bare
// node is measured within each process, from the moment node runs the script: node's own start varies by
// tens of milliseconds from one process to the next on this VM, and no longer weighs on the difference.
const [bareNode, gatewayStart, popCoreWithRuntimeSchema, gatewayWithRedisStart] = await medianStarts([
  `process.stderr.write('COLD ' + performance.now() + ' SCRIPT 0')`,
  firstInvocation(resolve('dist/gateway/index.js')),
  firstInvocation(baseline),
  firstInvocation(resolve('dist/gateway/index.js'), true, { REDIS_URL: redis.url }),
])
const coldStart = {
  bareNodeMs: bareNode?.totalMs ?? Number.NaN,
  gatewayMs: gatewayStart?.totalMs ?? Number.NaN,
  popCoreWithRuntimeSchemaMs: popCoreWithRuntimeSchema?.totalMs ?? Number.NaN,
  overheadMs: gatewayStart?.overBareNodeMs ?? Number.NaN,
  popCoreWithRuntimeSchemaOverheadMs: popCoreWithRuntimeSchema?.overBareNodeMs ?? Number.NaN,
  // With REDIS_URL: ioredis loaded, connected and one script run before the first Pub.
  gatewayWithRedisMs: gatewayWithRedisStart?.totalMs ?? Number.NaN,
  gatewayWithRedisOverheadMs: gatewayWithRedisStart?.overBareNodeMs ?? Number.NaN,
}
// Keep-alive: connections the emulator accepted from a fresh instance over its first invocation and
// 1,000 more (one, reused, is the goal).
const beforeFreshInstance = await emulator.stats()
const peakRssMb = await rssAfter1000()
const connectionsPer1000 = (await emulator.stats()).connections - beforeFreshInstance.connections
emulator.stop()
await redis.stop()

const gatewayRow = rows.find((row) => row.name === 'gateway') as Row
const floorRow = rows[0] as Row
const popCoreRow = rows[1] as Row
const bundleBytes = statSync('dist/gateway/index.js').size
const summary = {
  benchmark: 'compare',
  machine: machine(),
  messages: { warming: WARMING, sequential: SEQUENTIAL, concurrent: CONCURRENT, concurrency: CONCURRENCY },
  rows,
  gatewayRatio: {
    p50VsFloor: round(gatewayRow.p50 / floorRow.p50, 2),
    p50VsPopCore: round(gatewayRow.p50 / popCoreRow.p50, 2),
    p99VsFloor: round(gatewayRow.p99 / floorRow.p99, 2),
    p99VsPopCore: round(gatewayRow.p99 / popCoreRow.p99, 2),
    p50VsPopCoreWhileWarming: round(gatewayRow.p50WhileWarming / popCoreRow.p50WhileWarming, 2),
    p50WithRedisVsPopCore: round(
      (rows.find((row) => row.name === 'gateway + Redis limiter') as Row).p50 / popCoreRow.p50,
      2,
    ),
  },
  // What a relay with nothing but the schema check costs, for scale.
  handWrittenRelayP50VsPopCore: round(
    ((rows.find((row) => row.name === 'hand-written relay') as Row).p50 ?? Number.NaN) / popCoreRow.p50,
    2,
  ),
  batch: {
    perSecond: batchPerSecond,
    popCoreConcurrentPerSecond: popCoreAlongsidePerSecond,
    share: round(batchPerSecond / popCoreAlongsidePerSecond, 2),
  },
  coldStart,
  bundleKiB: round(bundleBytes / 1024, 1),
  peakRssMb,
  tcpConnectionsPer1000Invocations: connectionsPer1000,
}
writeFileSync('bench/results/compare.json', `${JSON.stringify(summary, null, 2)}\n`)
writeFileSync(
  'bench/results/chart.svg',
  chart(rows, JSON.parse(readFileSync('bench/results/throttle.json', 'utf8'))),
)

console.log(
  `Side by side against the emulator (its own process), ${WARMING} sequential while warming, then ${SEQUENTIAL} sequential warm and ${CONCURRENT} at concurrency ${CONCURRENCY}:`,
)
console.table(rows)
console.log(`gateway p50 ${summary.gatewayRatio.p50VsPopCore}× pop-core (${summary.gatewayRatio.p50VsFloor}× floor; ${summary.gatewayRatio.p50VsPopCoreWhileWarming}× pop-core while warming), p99 ${summary.gatewayRatio.p99VsPopCore}× pop-core (${summary.gatewayRatio.p99VsFloor}× floor); hand-written relay p50 ${summary.handWrittenRelayP50VsPopCore}× pop-core
100-message batches: ${batchPerSecond} msg/s = ${summary.batch.share} of pop-core at concurrency 16
gateway with the Redis limiter p50 ${summary.gatewayRatio.p50WithRedisVsPopCore}× pop-core
cold start: bare node ${coldStart.bareNodeMs} ms, gateway ${coldStart.gatewayMs} ms (+${coldStart.overheadMs} over node in the same process), with REDIS_URL ${coldStart.gatewayWithRedisMs} ms (+${coldStart.gatewayWithRedisOverheadMs}), pop-core + run-time schema ${coldStart.popCoreWithRuntimeSchemaMs} ms (+${coldStart.popCoreWithRuntimeSchemaOverheadMs})
bundle ${summary.bundleKiB} KiB, peak RSS ${peakRssMb} MB after 1,000 invocations, ${connectionsPer1000} TCP connection(s) opened by a fresh instance over 1,001 invocations
machine ${summary.machine}`)
// The Redis row's instance would go on reconnecting to the stopped redis-server, keeping the process alive.
process.exit(0)

// A script that loads a bundle and answers one invocation against the emulator; unless `report` is off, it
// prints the time since process start and when node began running the script.
// With `env` (REDIS_URL), the process exits once answered: its Redis connection would keep it alive.
function firstInvocation(bundle: string, report = true, env: Record<string, string> = {}): string {
  const event = httpEvent(message(1)).toString()
  const exit = Object.keys(env).length > 0 ? '.then(() => process.exit(0))' : ''
  return `
    const scriptStartedAt = performance.now()
    Object.assign(process.env, ${JSON.stringify({ IOT_ENDPOINT: url, GATEWAY_AUTH: 'none', ALIBABA_CLOUD_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEV_CREDENTIALS.accessKeySecret, ...env })})
    process.stdout.write = ((write) => (chunk, ...rest) => String(chunk).startsWith('{"level":') || write(chunk, ...rest))(process.stdout.write.bind(process.stdout))
    require(${JSON.stringify(bundle)}).handler(Buffer.from(${JSON.stringify(event)}), { requestId: 'cold', function: { name: 'f', timeout: 30 } })
      ${report ? ".then(() => process.stderr.write('COLD ' + performance.now() + ' SCRIPT ' + scriptStartedAt))" : ''}${exit}`
}

// The scripts take turns, so that drift of the machine weighs on each alike. Per script: the median time
// to its answer, and the median time from node running the script to its answer.
async function medianStarts(scripts: string[]): Promise<{ totalMs: number; overBareNodeMs: number }[]> {
  const totals = scripts.map((): number[] => [])
  const overBareNode = scripts.map((): number[] => [])
  for (let i = 0; i < COLD_STARTS; i++) {
    for (const [index, script] of scripts.entries()) {
      const { stderr } = await promisify(execFile)(process.execPath, ['-e', script])
      const [, answeredAt = Number.NaN, scriptStartedAt = Number.NaN] =
        stderr.match(/COLD ([\d.]+) SCRIPT ([\d.]+)/)?.map(Number) ?? []
      totals[index]?.push(answeredAt)
      overBareNode[index]?.push(answeredAt - scriptStartedAt)
    }
  }
  const median = (list: number[]) =>
    round(
      percentile(
        list.sort((a, b) => a - b),
        0.5,
      ),
      1,
    )
  return scripts.map((_, index) => ({
    totalMs: median(totals[index] ?? []),
    overBareNodeMs: median(overBareNode[index] ?? []),
  }))
}

async function rssAfter1000(): Promise<number> {
  const script = `${firstInvocation(resolve('dist/gateway/index.js'), false)}
    .then(async () => { const { handler } = require(${JSON.stringify(resolve('dist/gateway/index.js'))})
      for (let n = 0; n < 1000; n++) await handler(Buffer.from(${JSON.stringify(httpEvent(message(2)).toString())}), { requestId: 'r', function: { name: 'f', timeout: 30 } })
      process.stderr.write('RSS ' + Math.round(process.resourceUsage().maxRSS / 1024)) })`
  const { stderr } = await promisify(execFile)(process.execPath, ['-e', script])
  return Number(stderr.match(/RSS (\d+)/)?.[1])
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits))
}

// Latency percentiles per row, and goodput under 2× overload from the throttle benchmark.
function chart(
  latencyRows: Row[],
  throttle: { goodputShareOfQuota: number; wastedCallShare: number; quotaQps: number },
): string {
  const width = 720
  const scale = 360 / Math.max(...latencyRows.map((row) => row.p99))
  const bars = latencyRows
    .map((row, i) => {
      const y = 60 + i * 56
      return `<text x="10" y="${y + 16}" font-size="13">${row.name}</text>
  <rect x="170" y="${y}" width="${(row.p50 * scale).toFixed(1)}" height="18" fill="#3b7dd8"/>
  <rect x="170" y="${y + 20}" width="${(row.p99 * scale).toFixed(1)}" height="18" fill="#f0a030"/>
  <text x="${(176 + row.p99 * scale).toFixed(1)}" y="${y + 16}" font-size="12">p50 ${row.p50} ms</text>
  <text x="${(176 + row.p99 * scale).toFixed(1)}" y="${y + 35}" font-size="12">p99 ${row.p99} ms</text>`
    })
    .join('\n  ')
  const goodputY = 60 + latencyRows.length * 56 + 40
  const goodput = throttle.goodputShareOfQuota * 360
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${goodputY + 80}" font-family="sans-serif">
  <text x="10" y="28" font-size="16" font-weight="bold">Latency per message, sequential, against the emulator on loopback</text>
  ${bars}
  <text x="10" y="${goodputY - 12}" font-size="16" font-weight="bold">Under 2× overload (quota ${throttle.quotaQps}/s): goodput and wasted calls</text>
  <text x="10" y="${goodputY + 16}" font-size="13">goodput</text>
  <rect x="170" y="${goodputY}" width="360" height="18" fill="#e6e6e6"/>
  <rect x="170" y="${goodputY}" width="${goodput.toFixed(1)}" height="18" fill="#3ba55c"/>
  <text x="536" y="${goodputY + 14}" font-size="12">${(throttle.goodputShareOfQuota * 100).toFixed(1)}% of the quota</text>
  <text x="10" y="${goodputY + 44}" font-size="13">wasted calls</text>
  <rect x="170" y="${goodputY + 30}" width="${Math.max(1, throttle.wastedCallShare * 360).toFixed(1)}" height="18" fill="#d9534f"/>
  <text x="536" y="${goodputY + 44}" font-size="12">${(throttle.wastedCallShare * 100).toFixed(1)}% throttled</text>
</svg>
`
}
