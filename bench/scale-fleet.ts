/**
 * One scenario of `npm run bench:scale`, in a process of its own (forked by bench/scale.ts): a simulated
 * Function Compute fleet in front of the emulator. Each instance is a fresh load of the built bundle, in
 * one of the worker threads of bench/scale-instances.ts, and serves one invocation at a time; an
 * invocation goes to an idle instance, else to a new one while there are fewer than FLEET_SIZE, else
 * waits in a FIFO queue, as FC queues requests beyond its instance limit.
 * Invocations arrive open loop (on schedule, whatever came back): single-message HTTP events at
 * OFFERED_QPS for OFFERED_SECONDS. The process sends its results to the parent and exits.
 *
 * Settings (environment): FLEET_SIZE, OFFERED_QPS, OFFERED_SECONDS, FUNCTION_TIMEOUT_S, FLEET_THREADS
 * (default: one per CPU), plus the gateway's own (IOT_ENDPOINT, PUB_QPS_LIMIT, REDIS_URL, …).
 */
import { availableParallelism } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import type { InstancesReport } from './scale-instances.js'

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
  /** The longest delays of the simulation's event loops, each shared by a thread's instances (on FC each has its own). */
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

// The instances live in worker threads, one per CPU (FLEET_THREADS), the i-th started in thread i mod
// threads; this thread only dispatches and keeps the clock, so arrivals and answers are timed on it.
const threadCount = Math.max(
  1,
  Math.min(fleetSize, Number(process.env.FLEET_THREADS ?? availableParallelism())),
)
const threads = await Promise.all(
  Array.from({ length: threadCount }, async (_, index) => {
    // Node 20 does not run tsx's loader in worker threads: the thread loads it, then the TypeScript entry.
    const entry = JSON.stringify(new URL('./scale-instances.ts', import.meta.url).href)
    const boot = `import('tsx/esm/api').then((tsx) => tsx.tsImport(${entry}, ${entry}))`
    const worker = new Worker(boot, {
      eval: true,
      workerData: { instances: Math.ceil((fleetSize - index) / threadCount), timeoutSeconds },
    })
    await new Promise((ready) => worker.once('message', ready))
    return worker
  }),
)
interface Instance {
  thread: Worker
  /** Its index among its thread's instances. */
  index: number
  busy: boolean
  /** The invocation it runs. */
  pending?: Pending
}
const instances: Instance[] = []
const queue: Pending[] = []
const outcomes: MessageOutcome[] = []
const total = Math.round(offeredQps * offeredSeconds)

function dispatch(pending: Pending): void {
  let instance = instances.find((candidate) => !candidate.busy)
  if (!instance && instances.length < fleetSize) {
    const started = instances.length
    instance = {
      thread: threads[started % threadCount] as Worker,
      index: Math.floor(started / threadCount),
      busy: false,
    }
    instances.push(instance)
  }
  if (!instance) {
    queue.push(pending)
    return
  }
  run(instance, pending)
}

function run(instance: Instance, pending: Pending): void {
  instance.busy = true
  instance.pending = pending
  instance.thread.postMessage({ n: pending.n, instance: instance.index })
}

// Each thread answers its instances' invocations in the order they end.
for (const thread of threads) {
  thread.on('message', (message: { n: number; status: number } | InstancesReport) => {
    if ('type' in message) return
    const instance = instances.find(
      (candidate) => candidate.thread === thread && candidate.pending?.n === message.n,
    )
    if (!instance?.pending) throw new Error(`an answer for message ${message.n}, which no instance runs`)
    outcomes.push({
      n: message.n,
      status: message.status,
      ms: performance.now() - instance.pending.arrivedAt,
    })
    instance.busy = false
    instance.pending = undefined
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
const finished = await Promise.all(
  threads.map(
    (thread) =>
      new Promise<InstancesReport>((done) => {
        thread.on('message', (message: { type?: string }) => {
          if (message.type === 'finished') done(message as InstancesReport)
        })
        thread.postMessage('finish')
      }),
  ),
)
// The worst of the event loops: this one, and each thread's.
const delays = [
  { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  ...finished.map((report) => report.eventLoopDelayMs),
]
const eventLoopDelayMs = {
  p99: Math.max(...delays.map((delay) => delay.p99)),
  max: Math.max(...delays.map((delay) => delay.max)),
}
const report: FleetReport = {
  outcomes,
  instances: instances.length,
  redisOutages: finished.reduce((sum, thread) => sum + thread.redisOutages, 0),
  startedAt,
  offeredUntil,
  eventLoopDelayMs,
}
process.send?.(report, () => process.exit(0))
