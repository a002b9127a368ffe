/** What the benchmarks share: loading the built bundle, building events, percentiles. */
import { fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { cpus, totalmem } from 'node:os'
import { resolve } from 'node:path'
import { DEV_CREDENTIALS } from '../dev/iot-emulator/server.js'
import type { FcContext } from '../lib/fc/types.js'

/** The built handler, as FC loads it. */
export type BundleHandler = (event: Buffer, context: FcContext) => Promise<unknown>

/** Loads dist/gateway with the emulator's credentials and the given settings. */
export function loadBundle(env: Record<string, string>): BundleHandler {
  Object.assign(process.env, {
    // As behind an HTTP trigger with authType: function, where FC authenticates callers.
    GATEWAY_AUTH: 'none',
    ALIBABA_CLOUD_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEV_CREDENTIALS.accessKeySecret,
    ...env,
  })
  return (createRequire(import.meta.url)(resolve('dist/gateway/index.js')) as { handler: BundleHandler })
    .handler
}

/** The counters of an emulator process. */
export interface EmulatorStats {
  calls: number
  throttled: number
  connections: number
  delivered: number
  /** Deliveries per wall-clock second, as [epoch second, count]. */
  perSecond: [number, number][]
  /** Throttled calls per wall-clock second, as [epoch second, count]. */
  throttledPerSecond: [number, number][]
  /** Deliveries per message number (the payload's `n`), as [n, count]. */
  perNumber: [number, number][]
}

/** The IoT emulator running in a process of its own. */
export interface EmulatorProcess {
  url: string
  /** The emulator's counters so far. */
  stats(): Promise<EmulatorStats>
  stop(): void
}

/**
 * Starts the emulator in a child process, answering each Pub after `latencyMs`: its signature checks
 * then run beside the gateway, as IoT's do, not in the event loop being measured.
 */
export async function forkEmulator(latencyMs = 0, quotaQps?: number): Promise<EmulatorProcess> {
  const child = fork('bench/emulator-process.ts', [], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
    env: {
      ...process.env,
      EMULATOR_LATENCY_MS: String(latencyMs),
      EMULATOR_QUOTA_QPS: quotaQps === undefined ? '' : String(quotaQps),
    },
  })
  const url = await new Promise<string>((done) =>
    child.once('message', (message: { url: string }) => done(message.url)),
  )
  return {
    url,
    stats: () =>
      new Promise((done) => {
        child.once('message', done)
        child.send({ type: 'stats' })
      }),
    stop: () => child.disconnect(),
  }
}

/**
 * A fresh instance of dist/gateway, as after a cold start: its own limiter, retry budget and connections.
 * Settings come from the process environment, as `loadBundle` leaves it.
 */
export function loadFreshBundle(): BundleHandler {
  const require = createRequire(import.meta.url)
  const path = resolve('dist/gateway/index.js')
  delete require.cache[path]
  return (require(path) as { handler: BundleHandler }).handler
}

/** An HTTP trigger event publishing a small JSON message. */
export function publishEvent(n: number): Buffer {
  const body = JSON.stringify({
    productKey: 'a1BenchPk01',
    deviceName: `device${n % 100}`,
    topic: 'cmd',
    payload: { n },
    qos: 1,
  })
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: '/',
      body,
      isBase64Encoded: false,
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method: 'POST' } },
    }),
  )
}

/** The value below which a share `p` of the sorted values fall. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN
}

/** The machine the figures came from. */
export function machine(): string {
  const cpu = cpus()
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`
}

/** Drops the gateway's JSON log lines (one per invocation) so they cost no terminal time; counts them. */
export function silenceGatewayLogs(): { lines: number } {
  const counter = { lines: 0 }
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && chunk.startsWith('{"level":')) {
      counter.lines++
      return true
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest)
  }) as typeof process.stdout.write
  return counter
}
