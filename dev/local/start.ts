// `npm start`: runs the gateway locally, against the embedded IoT emulator unless IOT_ENDPOINT is set.
// A setting it cannot use, or a taken port, stops it with one line naming the variable (exit code 1).
import { describeLocalGateway } from './banner.js'
import { formatDelivery } from './device-view.js'
import { installLogView } from './log-view.js'
import { isStartupProblem, type LocalGateway, startLocalGateway } from './runner.js'

let gateway: LocalGateway
try {
  // The port is PORT from the shell, else from .env, else 9000; the address IOT_PUB_LOCAL_HOST, else 127.0.0.1.
  gateway = await startLocalGateway()
} catch (error) {
  if (!isStartupProblem(error)) throw error
  console.error(`npm start: ${error.message}`)
  process.exit(1)
}
console.error(describeLocalGateway(gateway))
installLogView(gateway.settings)
gateway.emulator?.on('message', (message) => console.error(formatDelivery(message)))

// Whoever started the runner stops it, the emulator and every connection with it, by its PID.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => void gateway.stop().finally(() => process.exit(0)))
}
