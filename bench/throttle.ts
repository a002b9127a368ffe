/**
 * `npm run bench:throttle`: offers twice the emulator's Pub quota to the built gateway for a few
 * seconds (open loop: invocations start on schedule whatever came back) and reports goodput, wasted
 * calls and latency. The gateway keeps its default PUB_QPS_LIMIT, so it must discover the quota.
 *
 * Settings (environment): BENCH_QUOTA (calls/s the emulator accepts, default 400), BENCH_SECONDS
 * (offered-load duration, default 5), BENCH_OVERLOAD (offered/quota, default 2), PUB_QPS_LIMIT.
 */
import { writeFile } from 'node:fs/promises'
import type { FcHttpResponse } from '../lib/fc/types.js'
import { forkEmulator, loadBundle, machine, percentile, publishEvent, silenceGatewayLogs } from './support.js'

const quota = Number(process.env.BENCH_QUOTA ?? 400)
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const overload = Number(process.env.BENCH_OVERLOAD ?? 2)
const tickMs = 10

silenceGatewayLogs()
// IoT's work does not happen in the function: in one process, the emulator's would slow the gateway's
// answers and so the feedback its limiter learns from.
const emulator = await forkEmulator(0, quota)
const handler = loadBundle({ IOT_ENDPOINT: emulator.url, PUB_QPS_LIMIT: process.env.PUB_QPS_LIMIT ?? '1600' })

const offered = Math.round(quota * overload * seconds)
const perTick = (quota * overload * tickMs) / 1_000
const outcomes: Promise<{ status: number; ms: number }>[] = []
const started = performance.now()
let launched = 0
// Open loop: each tick starts the invocations due by now, whatever the previous ones are doing.
while (launched < offered) {
  const due = Math.min(offered, Math.floor(((performance.now() - started) / tickMs + 1) * perTick))
  for (; launched < due; launched++) {
    const t0 = performance.now()
    outcomes.push(
      (
        handler(publishEvent(launched), {
          requestId: `bench-${launched}`,
          function: { name: 'bench', timeout: 30 },
        }) as Promise<FcHttpResponse>
      ).then((response) => ({ status: response.statusCode, ms: performance.now() - t0 })),
    )
  }
  await new Promise((resolve) => setTimeout(resolve, tickMs))
}
const results = await Promise.all(outcomes)
const stats = await emulator.stats()
emulator.stop()

const delivered = results.filter((result) => result.status === 200).length
const failed = results.length - delivered
// The emulator's quota counts wall-clock seconds. Goodput is the share of each full second's quota that
// became deliveries; the partial first and last seconds are left out.
const perSecond = new Map(stats.perSecond)
const fullSeconds = [...perSecond.keys()].sort((a, b) => a - b).slice(1, -1)
const windows = fullSeconds.length
const goodput = fullSeconds.reduce((sum, second) => sum + (perSecond.get(second) ?? 0), 0) / (windows * quota)
const wasted = stats.throttled / stats.calls
const latencies = results.map((result) => result.ms).sort((a, b) => a - b)
const summary = {
  benchmark: 'throttle',
  machine: machine(),
  quotaQps: quota,
  offeredPerSecond: quota * overload,
  offeredSeconds: seconds,
  messages: results.length,
  delivered,
  explicitlyFailed: failed,
  failuresByStatus: Object.fromEntries(
    [...new Set(results.map((result) => result.status))]
      .filter((status) => status !== 200)
      .map((status) => [status, results.filter((result) => result.status === status).length]),
  ),
  lost: results.length - delivered - failed,
  deliveredByEmulator: stats.delivered,
  pubCalls: stats.calls,
  throttledCalls: stats.throttled,
  goodputShareOfQuota: Number(goodput.toFixed(3)),
  wastedCallShare: Number(wasted.toFixed(3)),
  latencyMs: { p50: Math.round(percentile(latencies, 0.5)), p99: Math.round(percentile(latencies, 0.99)) },
}
await writeFile('bench/results/throttle.json', `${JSON.stringify(summary, null, 2)}\n`)
console.log(`Throttle benchmark: ${summary.offeredPerSecond}/s offered for ${seconds} s against a quota of ${quota}/s
  messages ${summary.messages}: delivered ${delivered}, explicitly failed ${failed} ${JSON.stringify(summary.failuresByStatus)}, emulator delivered ${summary.deliveredByEmulator}
  goodput        ${(goodput * 100).toFixed(1)}% of the quota over ${windows} full seconds (target ≥ 90%)
  wasted calls   ${(wasted * 100).toFixed(1)}% (${stats.throttled} throttled of ${stats.calls}; target ≤ 10%)
  latency        p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms (queueing under 2× overload)
  machine        ${summary.machine}`)
