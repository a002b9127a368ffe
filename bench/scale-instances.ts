/**
 * A worker thread of bench/scale-fleet.ts: it hosts a share of the simulated fleet's instances, each a
 * fresh load of the built bundle, and runs the invocations the fleet's dispatcher sends it. On FC each
 * instance has a machine of its own; spreading them over threads lets the simulation use every CPU, so
 * that one instance's work delays fewer of the others than in a single event loop.
 *
 * Messages in: { n, instance } to invoke an instance with message n; 'finish' to report and stop.
 * Messages out: 'ready' once the bundles are loaded, { n, status } per invocation, then the thread's
 * event-loop delays and the Redis outage lines its instances logged.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parentPort, workerData } from 'node:worker_threads'
import type { FcHttpResponse } from '../lib/fc/types.js'
import {
  type BundleHandler,
  loadBundle,
  loadFreshBundle,
  publishEvent,
  silenceGatewayLogs,
} from './support.js'

/** What the thread reports when the fleet finishes. */
export interface InstancesReport {
  type: 'finished'
  redisOutages: number
  eventLoopDelayMs: { p99: number; max: number }
}

const { instances: count, timeoutSeconds } = workerData as { instances: number; timeoutSeconds: number }
const port = parentPort
if (!port) throw new Error('bench/scale-instances.ts runs as a worker thread of bench/scale-fleet.ts')

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

// The fleet's bundles are loaded before the clock starts: on FC each cold start runs on a machine of its
// own, here it would stall every other instance. A loaded bundle has done nothing yet: its limiter, retry
// budget and connections are made on its first invocation, when the simulated platform starts it.
loadBundle({})
const handlers: BundleHandler[] = Array.from({ length: count }, () => loadFreshBundle())
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()

port.on('message', (message: { n: number; instance: number } | 'finish') => {
  if (message === 'finish') {
    loopDelay.disable()
    const report: InstancesReport = {
      type: 'finished',
      redisOutages,
      eventLoopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    }
    port.postMessage(report)
    port.close()
    return
  }
  const { n, instance } = message
  const handler = handlers[instance]
  if (!handler) throw new Error(`no instance ${instance} in this thread`)
  const context = { requestId: `scale-${n}`, function: { name: 'scale', timeout: timeoutSeconds } }
  void (handler(publishEvent(n), context) as Promise<FcHttpResponse>)
    .then(
      (response) => response.statusCode,
      () => 502,
    )
    .then((status) => port.postMessage({ n, status }))
})
port.postMessage('ready')
