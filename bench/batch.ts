/**
 * Batch benchmark: the time of a 100-message batch on a warm instance against an emulator answering each
 * Pub in 20 ms, in a process of its own as IoT is elsewhere, against the bound 1.5 × (100 / PUB_CONCURRENCY
 * × 20 ms), and a fresh instance's first batch apart; and
 * the peak RSS of the built bundle handling a batch of 100 payloads of 256 KB, in a fresh process,
 * against s.yaml's memorySize.
 */
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import type { FcHttpResponse } from '../lib/fc/types.js'
import { forkEmulator, loadBundle, machine, percentile, silenceGatewayLogs } from './support.js'

const CONCURRENCY = 16
const LATENCY_MS = 20
const RUNS = 30
// From 20/s, doubling every 250 ms, the limiter passes the batch's 800 calls a second in about 1.35 s.
const WARM_AFTER_MS = 2_000

silenceGatewayLogs()
const emulator = await forkEmulator(LATENCY_MS)
const handler = loadBundle({ IOT_ENDPOINT: emulator.url, PUB_CONCURRENCY: String(CONCURRENCY) })

const messages = Array.from({ length: 100 }, (_, n) => ({
  productKey: 'a1BenchPk01',
  deviceName: `device${n}`,
  topic: 'cmd',
  payload: { n },
}))
const event = Buffer.from(
  JSON.stringify({
    version: 'v1',
    rawPath: '/',
    body: JSON.stringify({ messages }),
    headers: {},
    requestContext: { http: { method: 'POST' } },
  }),
)
const context = { requestId: 'bench', function: { name: 'bench', timeout: 30 } }

// A fresh instance's first batch runs in its limiter's slow start (20 calls a second, doubling every
// 250 ms at full use): it is reported on its own. The bound is for a warm instance, which the timed runs
// measure once the limiter has had about a second and a half at full use to grow past the batch's pace.
const firstStarted = performance.now()
await handler(event, context)
const firstBatchMs = performance.now() - firstStarted
while (performance.now() - firstStarted < WARM_AFTER_MS) await handler(event, context)
const times: number[] = []
for (let run = 0; run < RUNS; run++) {
  const started = performance.now()
  const response = (await handler(event, context)) as FcHttpResponse
  times.push(performance.now() - started)
  if (response.statusCode !== 200)
    throw new Error(`batch answered ${response.statusCode}: ${response.body.slice(0, 200)}`)
}
times.sort((a, b) => a - b)
const boundMs = 1.5 * (100 / CONCURRENCY) * LATENCY_MS

// Peak memory in a fresh process running only the bundle, as on FC.
const memorySizeMb = parse(readFileSync('s.yaml', 'utf8')).resources.gateway.props.memorySize as number
const { stdout } = await promisify(execFile)(process.execPath, ['bench/batch-memory.mjs'], {
  env: { ...process.env, IOT_ENDPOINT: emulator.url },
})
const peakRss = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')
emulator.stop()

const summary = {
  benchmark: 'batch',
  machine: machine(),
  batchSize: 100,
  concurrency: CONCURRENCY,
  emulatorLatencyMs: LATENCY_MS,
  runs: RUNS,
  batchMs: {
    p50: Math.round(percentile(times, 0.5)),
    p90: Math.round(percentile(times, 0.9)),
    max: Math.round(times.at(-1) ?? 0),
  },
  freshInstanceFirstBatchMs: Math.round(firstBatchMs),
  boundMs,
  largeBatch: {
    payloadBytes: 262_144,
    messages: 100,
    peakRssMb: peakRss.peakRssMb,
    status: peakRss.status,
    memorySizeMb,
  },
}
writeFileSync('bench/results/batch.json', `${JSON.stringify(summary, null, 2)}\n`)
console.log(`Batch benchmark: 100 messages, concurrency ${CONCURRENCY}, emulator answering in ${LATENCY_MS} ms (${RUNS} runs)
  batch time     p50 ${summary.batchMs.p50} ms, p90 ${summary.batchMs.p90} ms, max ${summary.batchMs.max} ms (bound ${boundMs} ms)
  first batch    ${summary.freshInstanceFirstBatchMs} ms on a fresh instance, its limiter in slow start
  peak RSS       ${peakRss.peakRssMb} MB for 100 × 256 KB payloads, answered ${peakRss.status} (memorySize ${memorySizeMb} MB)
  machine        ${summary.machine}`)
