// The IoT emulator in a process of its own, so that benchmarks do not share its event loop: it sends
// its URL to the parent, and answers {type:'stats'} messages with its counters.
import { IotEmulator } from '../dev/iot-emulator/server.js'

const emulator = new IotEmulator({ latencyMs: Number(process.env.EMULATOR_LATENCY_MS ?? 0) })
const url = await emulator.start()
process.send?.({ type: 'ready', url })
process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') {
    process.send?.({
      type: 'stats',
      calls: emulator.calls,
      connections: emulator.connections,
      delivered: emulator.delivered.length,
    })
  }
  // Deliveries are not kept across a long benchmark: only counts matter here.
  emulator.delivered.length = 0
})
process.on('disconnect', () => void emulator.stop().then(() => process.exit(0)))
