// `npm start`: runs the gateway locally, against the embedded IoT emulator unless IOT_ENDPOINT is set.
import { describeLocalGateway } from './banner.js'
import { formatDelivery } from './device-view.js'
import { startLocalGateway } from './runner.js'

// The port is PORT from the shell, else from .env, else 9000.
const gateway = await startLocalGateway({ host: process.env.HOST ?? '127.0.0.1' })
console.error(describeLocalGateway(gateway))
gateway.emulator?.on('message', (message) => console.error(formatDelivery(message)))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void gateway.stop().then(() => process.exit(0)))
}
