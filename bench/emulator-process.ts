// The IoT emulator in a process of its own, so that benchmarks do not share its event loop: it sends
// its URL to the parent, and answers {type:'stats'} messages with its counters. EMULATOR_QUOTA_QPS sets
// its Pub quota (fixed one-second windows, as the account's).
import { IotEmulator } from '../dev/iot-emulator/server.js'

const quota = process.env.EMULATOR_QUOTA_QPS
const emulator = new IotEmulator({
  latencyMs: Number(process.env.EMULATOR_LATENCY_MS ?? 0),
  quotaQps: quota ? Number(quota) : undefined,
})
const url = await emulator.start()
// Deliveries per wall-clock second, and per benchmark message number (the payload's `n`), for goodput
// and duplicates.
const perSecond = new Map<number, number>()
const perNumber = new Map<number, number>()
emulator.on('message', (message: { payload: Buffer }) => {
  const second = Math.floor(Date.now() / 1_000)
  perSecond.set(second, (perSecond.get(second) ?? 0) + 1)
  const n = benchmarkNumber(message.payload)
  if (n !== undefined) perNumber.set(n, (perNumber.get(n) ?? 0) + 1)
})
const throttledPerSecond = new Map<number, number>()
emulator.on('throttled', () => {
  const second = Math.floor(Date.now() / 1_000)
  throttledPerSecond.set(second, (throttledPerSecond.get(second) ?? 0) + 1)
})
process.send?.({ type: 'ready', url })
process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') {
    process.send?.({
      type: 'stats',
      calls: emulator.calls,
      throttled: emulator.throttled,
      connections: emulator.connections,
      delivered: emulator.delivered.length,
      perSecond: [...perSecond],
      throttledPerSecond: [...throttledPerSecond],
      perNumber: [...perNumber],
    })
  }
  // Deliveries are not kept across a long benchmark: only counts matter here.
  emulator.delivered.length = 0
})
process.on('disconnect', () => void emulator.stop().then(() => process.exit(0)))

// The payload's `n`, when the payload is a benchmark's JSON object; other payloads (bench:batch's 256 KB
// strings) have none.
function benchmarkNumber(payload: Buffer): number | undefined {
  if (payload[0] !== 0x7b) return undefined
  try {
    const n = (JSON.parse(payload.toString('utf8')) as { n?: unknown }).n
    return typeof n === 'number' ? n : undefined
  } catch {
    return undefined
  }
}
