/**
 * `npm run bench:scale`: simulated Function Compute fleets of up to N instances (bench/scale-fleet.ts,
 * one process per scenario, its instances spread over a worker thread per CPU) offered 2× and 4× the
 * emulator's Pub quota, with PUB_QPS_LIMIT equal to the quota (known) and at 8× it (unknown), with and
 * without the shared limiter on a real redis-server.
 * The emulator runs in a process of its own with the quota (fixed one-second windows, as IoT's).
 *
 * Prints, per scenario: goodput (deliveries per full second while overloaded, as a share of the quota),
 * wasted calls (throttled / all Pub calls), 429s returned, messages lost and duplicated, latency from
 * arrival p50/p99, and Redis round trips per message. Writes bench/results/scale.json and its chart,
 * scale.svg.
 *
 * Settings (environment): BENCH_QUOTA (default 200), BENCH_SECONDS (offered load, default 4),
 * BENCH_SIZES (default 8,64,200), BENCH_OVERLOADS (default 2,4), BENCH_LIMITS (known,unknown),
 * BENCH_MODES (redis,local), BENCH_TIMEOUT_S (the function's timeout, default 10), BENCH_AGAIN
 * (default 1; 0 skips it): each shared-limiter scenario then runs a second burst, fresh instances on the
 * same Redis once the schedule expired, as after an idle minute when FC scaled the fleet to
 * zero (its rows say "again"; the chart shows first bursts).
 */
import { execFile, fork } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { FLEET_SCHEDULE_KEY } from '../lib/quota/fleet-schedule-script.js'
import { type RedisServer, startRedisServer } from '../test/helpers/redis-server.js'
import { scaleChart } from './scale-chart.js'
import type { FleetReport } from './scale-fleet.js'
import { forkEmulator, machine, percentile } from './support.js'

const quota = Number(process.env.BENCH_QUOTA ?? 200)
const seconds = Number(process.env.BENCH_SECONDS ?? 4)
const timeoutSeconds = Number(process.env.BENCH_TIMEOUT_S ?? 10)
const list = (name: string, fallback: string) =>
  (process.env[name] ?? fallback).split(',').map((item) => item.trim())
const sizes = list('BENCH_SIZES', '8,64,200').map(Number)
const overloads = list('BENCH_OVERLOADS', '2,4').map(Number)
const limits = list('BENCH_LIMITS', 'known,unknown') as ('known' | 'unknown')[]
const modes = list('BENCH_MODES', 'redis,local') as ('redis' | 'local')[]
const again = process.env.BENCH_AGAIN !== '0'

interface Row {
  mode: 'redis' | 'local'
  /** The fleet's first burst, or one after its schedule sat idle (BENCH_AGAIN). */
  burst: 'first' | 'again'
  limit: 'known' | 'unknown'
  pubQpsLimit: number
  overload: number
  fleetSize: number
  instancesStarted: number
  messages: number
  goodput: number
  fullSeconds: number
  wasted: number
  pubCalls: number
  throttled: number
  status429: number
  otherFailures: number
  lost: number
  duplicated: number
  p50Ms: number
  p99Ms: number
  redisRoundTripsPerMessage: number | null
  redisOutages: number
  eventLoopDelayMs: { p99: number; max: number }
  deliveriesPerSecond: number[]
  /** Throttled calls in each second of deliveriesPerSecond. */
  throttledPerSecond: number[]
}

async function scenario(
  mode: Row['mode'],
  limit: Row['limit'],
  overload: number,
  fleetSize: number,
): Promise<Row[]> {
  const redis = mode === 'redis' ? await startRedisServer() : undefined
  try {
    const rows = [await burst(mode, limit, overload, fleetSize, redis, 'first')]
    if (redis && again) {
      await idleSchedule(redis.url)
      rows.push(await burst(mode, limit, overload, fleetSize, redis, 'again'))
    }
    return rows
  } finally {
    await redis?.stop()
  }
}

// What a fleet scaled to zero leaves after the idle minute: the schedule expired, its quota memory kept.
async function idleSchedule(url: string): Promise<void> {
  const client = new Redis(url)
  await client.del(FLEET_SCHEDULE_KEY)
  await client.config('RESETSTAT')
  client.disconnect()
}

async function burst(
  mode: Row['mode'],
  limit: Row['limit'],
  overload: number,
  fleetSize: number,
  redis: RedisServer | undefined,
  which: Row['burst'],
): Promise<Row> {
  const emulator = await forkEmulator(0, quota)
  const pubQpsLimit = limit === 'known' ? quota : quota * 8
  const child = fork('bench/scale-fleet.ts', [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      IOT_ENDPOINT: emulator.url,
      PUB_QPS_LIMIT: String(pubQpsLimit),
      REDIS_URL: redis?.url ?? '',
      FLEET_SIZE: String(fleetSize),
      OFFERED_QPS: String(quota * overload),
      OFFERED_SECONDS: String(seconds),
      FUNCTION_TIMEOUT_S: String(timeoutSeconds),
      // The simulated instances share a few event loops, whose stalls under 200 instances are not Redis
      // being slow: each instance gets a longer timeout than a lone FC instance needs.
      REDIS_TIMEOUT_MS: process.env.REDIS_TIMEOUT_MS ?? '250',
    },
  })
  const trace = redis && process.env.BENCH_TRACE ? traceSchedule(redis.url) : undefined
  const report = await new Promise<FleetReport>((done) =>
    child.once('message', (message) => done(message as FleetReport)),
  )
  trace?.stop()
  const stats = await emulator.stats()
  const roundTrips = redis ? await scriptCalls(redis.port) : null
  emulator.stop()

  const delivered = new Map(stats.perNumber)
  const { outcomes } = report
  // Overloaded: the full wall-clock seconds between the first and the last one with deliveries (both
  // partial). Before the first delivery the instances were still starting (a fixed cost of cold starts,
  // not of sharing the quota); slow start's ramp counts.
  const delivering = stats.perSecond.map(([second]) => second)
  const lastSecond = Math.max(...delivering)
  const firstSecond = Math.min(...delivering)
  const full = stats.perSecond.filter(([second]) => second > firstSecond && second < lastSecond)
  const fullSeconds = lastSecond - firstSecond - 1
  const latencies = outcomes.map((outcome) => outcome.ms).sort((a, b) => a - b)
  return {
    mode,
    burst: which,
    limit,
    pubQpsLimit,
    overload,
    fleetSize,
    instancesStarted: report.instances,
    messages: outcomes.length,
    goodput: full.reduce((sum, [, count]) => sum + count, 0) / (Math.max(1, fullSeconds) * quota),
    fullSeconds,
    wasted: stats.throttled / Math.max(1, stats.calls),
    pubCalls: stats.calls,
    throttled: stats.throttled,
    status429: outcomes.filter((outcome) => outcome.status === 429).length,
    otherFailures: outcomes.filter((outcome) => outcome.status !== 200 && outcome.status !== 429).length,
    // Answered 200 yet never delivered; every invocation was answered (the fleet waits for all).
    lost: outcomes.filter((outcome) => outcome.status === 200 && !delivered.has(outcome.n)).length,
    duplicated: [...delivered.values()].reduce((sum, count) => sum + count - 1, 0),
    p50Ms: Math.round(percentile(latencies, 0.5)),
    p99Ms: Math.round(percentile(latencies, 0.99)),
    redisRoundTripsPerMessage: roundTrips === null ? null : roundTrips / outcomes.length,
    redisOutages: report.redisOutages,
    eventLoopDelayMs: report.eventLoopDelayMs,
    deliveriesPerSecond: stats.perSecond.sort(([a], [b]) => a - b).map(([, count]) => count),
    throttledPerSecond: stats.perSecond.map(
      ([second]) => stats.throttledPerSecond.find(([other]) => other === second)?.[1] ?? 0,
    ),
  }
}

// BENCH_TRACE=1: the shared schedule's rate, sampled every 250 ms, on standard error.
function traceSchedule(url: string): { stop(): void } {
  const client = new Redis(url)
  const timer = setInterval(async () => {
    try {
      const [rate, slow, cutAt, next, served] = await client.hmget(
        FLEET_SCHEDULE_KEY,
        'rate',
        'slow',
        'cutAt',
        'next',
        'served',
      )
      process.stderr.write(
        `${Date.now() % 100_000} rate=${Number(rate).toFixed(1)} slow=${slow} cutAt=${Number(cutAt) % 100_000} backlog=${(Number(next) - Number(served)).toFixed(1)}\n`,
      )
    } catch (error) {
      process.stderr.write(`trace: ${error}\n`)
    }
  }, 250)
  return {
    stop: () => {
      clearInterval(timer)
      client.disconnect()
    },
  }
}

// Script runs (EVALSHA, and EVAL when a script was not cached yet) the server counted.
async function scriptCalls(port: number): Promise<number> {
  const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(port), 'INFO', 'commandstats'])
  let calls = 0
  for (const match of stdout.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1])
  return calls
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`
const rows: Row[] = []
console.log(`Scale benchmark: quota ${quota}/s, ${seconds} s of offered load per scenario, function timeout ${timeoutSeconds} s
| limiter | PUB_QPS_LIMIT | offered | N | goodput | wasted | 429s | lost | dup | p50 ms | p99 ms | Redis RTT/msg | outages | loop delay p99/max ms |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|`)
for (const mode of modes)
  for (const limit of limits)
    for (const overload of overloads)
      for (const fleetSize of sizes) {
        for (const row of await scenario(mode, limit, overload, fleetSize)) {
          rows.push(row)
          console.log(
            `| ${mode === 'redis' ? 'shared (Redis)' : 'per instance'}${row.burst === 'again' ? ', again' : ''} | ${limit} (${row.pubQpsLimit}) | ${overload}× | ${fleetSize} | ${pct(row.goodput)} | ${pct(row.wasted)} | ${row.status429} | ${row.lost} | ${row.duplicated} | ${row.p50Ms} | ${row.p99Ms} | ${row.redisRoundTripsPerMessage?.toFixed(2) ?? '–'} | ${row.mode === 'redis' ? row.redisOutages : '–'} | ${row.eventLoopDelayMs.p99.toFixed(0)}/${row.eventLoopDelayMs.max.toFixed(0)} |`,
          )
        }
      }

await writeFile(
  'bench/results/scale.json',
  `${JSON.stringify({ benchmark: 'scale', machine: machine(), quotaQps: quota, offeredSeconds: seconds, functionTimeoutSeconds: timeoutSeconds, rows }, null, 2)}\n`,
)
await writeFile('bench/results/scale.svg', scaleChart(rows, quota))
console.log(`machine: ${machine()}`)
