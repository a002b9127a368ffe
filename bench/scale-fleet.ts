/**
 * One scenario of `npm run bench:scale`, in a process of its own (forked by bench/scale.ts): a simulated
 * Function Compute fleet in front of the emulator. Each instance is a fresh load of the built bundle and
 * serves one invocation at a time; an invocation goes to an idle instance, else to a new one while there
 * are fewer than FLEET_SIZE, else waits in a FIFO queue, as FC queues requests beyond its instance limit.
 * Invocations arrive open loop (on schedule, whatever came back): single-message HTTP events at
 * OFFERED_QPS for OFFERED_SECONDS. The process sends its results to the parent and exits.
 *
 * Settings (environment): FLEET_SIZE, OFFERED_QPS, OFFERED_SECONDS, FUNCTION_TIMEOUT_S, plus the
 * gateway's own (IOT_ENDPOINT, PUB_QPS_LIMIT, REDIS_URL, …).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { FcHttpResponse } from '../lib/fc/types.js'
import {
  type BundleHandler,
  loadBundle,
  loadFreshBundle,
  publishEvent,
  silenceGatewayLogs,
} from './support.js'

/** What one message became. */
export interface MessageOutcome {
  n: number
  status: number
  /** From arrival (queueing included) to the answer. */
  ms: number
}

/** What the scenario sends back. */
export interface FleetReport {
  outcomes: MessageOutcome[]
  instances: number
  /** Outage lines the instances logged. */
  redisOutages: number
  startedAt: number
  offeredUntil: number
  /** Delays of the simulation's one event loop, shared by every instance (on FC each has its own). */
  eventLoopDelayMs: { p99: number; max: number }
}

const fleetSize = Number(process.env.FLEET_SIZE ?? 8)
const offeredQps = Number(process.env.OFFERED_QPS ?? 400)
const offeredSeconds = Number(process.env.OFFERED_SECONDS ?? 4)
const timeoutSeconds = Number(process.env.FUNCTION_TIMEOUT_S ?? 10)
const TICK_MS = 5

interface Pending {
  n: number
  arrivedAt: number
}

silenceGatewayLogs()
// Redis outages the instances logged (one line each per outage), counted before the lines are dropped.
let redisOutages = 0
const silenced = process.stdout.write.bind(process.stdout)
process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
  if (typeof chunk === 'string' && chunk.includes('"msg":"redis unavailable')) {
    redisOutages++
    if (redisOutages <= 3) process.stderr.write(chunk)
  }
  return (silenced as (...args: unknown[]) => boolean)(chunk, ...rest)
}) as typeof process.stdout.write
// Sets the environment every instance reads. The fleet's bundles are loaded before the clock starts:
// on FC each cold start runs on a machine of its own, here it would stall every other instance's event
// loop. A loaded bundle has done nothing yet: its limiter, retry budget and connections are made on its
// first invocation, when the simulated platform starts it.
loadBundle({})
const unstarted: BundleHandler[] = Array.from({ length: fleetSize }, () => loadFreshBundle())
const instances: { handler: BundleHandler; busy: boolean }[] = []
const queue: Pending[] = []
const outcomes: MessageOutcome[] = []
const total = Math.round(offeredQps * offeredSeconds)

function dispatch(pending: Pending): void {
  let instance = instances.find((candidate) => !candidate.busy)
  const fresh = instance ? undefined : unstarted.pop()
  if (fresh) {
    instance = { handler: fresh, busy: false }
    instances.push(instance)
  }
  if (!instance) {
    queue.push(pending)
    return
  }
  run(instance, pending)
}

function run(instance: { handler: BundleHandler; busy: boolean }, pending: Pending): void {
  instance.busy = true
  const context = { requestId: `scale-${pending.n}`, function: { name: 'scale', timeout: timeoutSeconds } }
  void (instance.handler(publishEvent(pending.n), context) as Promise<FcHttpResponse>)
    .then(
      (response) => response.statusCode,
      () => 502,
    )
    .then((status) => {
      outcomes.push({ n: pending.n, status, ms: performance.now() - pending.arrivedAt })
      instance.busy = false
      const next = queue.shift()
      if (next) run(instance, next)
    })
}

const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()
const startedAt = Date.now()
const started = performance.now()
let arrived = 0
while (arrived < total) {
  const due = Math.min(total, Math.floor(((performance.now() - started) * offeredQps) / 1_000) + 1)
  for (; arrived < due; arrived++) dispatch({ n: arrived, arrivedAt: performance.now() })
  await new Promise((resolve) => setTimeout(resolve, TICK_MS))
}
const offeredUntil = Date.now()
while (outcomes.length < total) await new Promise((resolve) => setTimeout(resolve, 50))

loopDelay.disable()
const eventLoopDelayMs = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 }
const report: FleetReport = {
  outcomes,
  instances: instances.length,
  redisOutages,
  startedAt,
  offeredUntil,
  eventLoopDelayMs,
}
process.send?.(report, () => process.exit(0))
