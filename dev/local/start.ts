// `npm start`: runs the gateway locally, against the embedded IoT emulator unless IOT_ENDPOINT is set.
import { describeLocalGateway } from './banner.js'
import { formatDelivery } from './device-view.js'
import { startLocalGateway } from './runner.js'

// The port is PORT from the shell, else from .env, else 9000.
// The address is IOT_PUB_LOCAL_HOST from the shell, else 127.0.0.1.
const gateway = await startLocalGateway()
console.error(describeLocalGateway(gateway))
gateway.emulator?.on('message', (message) => console.error(formatDelivery(message)))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void gateway.stop().then(() => process.exit(0)))
}
