// `npm start`: runs the gateway locally, against the embedded IoT emulator unless IOT_ENDPOINT is set.
// A setting it cannot use, or a taken port, stops it with one line naming the variable (exit code 1).
import { formatDelivery } from './device-view.js'
import { installLogView } from './log-view.js'
import {
  isStartupProblem,
  LOCAL_API_KEY,
  LOCAL_FC_CALLER,
  type LocalGateway,
  startLocalGateway,
} from './runner.js'

let gateway: LocalGateway
try {
  gateway = await startLocalGateway()
} catch (error) {
  if (!isStartupProblem(error)) throw error
  console.error(`npm start: ${error.message}`)
  process.exit(1)
}

const apiKey =
  gateway.environment.GATEWAY_API_KEYS === LOCAL_API_KEY ? LOCAL_API_KEY : '<one of GATEWAY_API_KEYS>'
const example = JSON.stringify({
  productKey: 'a1Q5XoYxxxx',
  deviceName: 'device1',
  topic: 'get',
  payload: { hello: 'device' },
})

console.error(`iot-pub-gateway listening on ${gateway.url} (health at ${gateway.url}/health, OpenAPI at ${gateway.url}/openapi.json)

Publish over the HTTP trigger:
  curl -s -X POST ${gateway.url}/ -H 'content-type: application/json' -H 'authorization: Bearer ${apiKey}' -d '${example}'

Or with the CLI:
  npx iot-pub publish --url ${gateway.url}/ --api-key ${apiKey} --product a1Q5XoYxxxx --device device1 --topic get --payload '{"hello":"device"}'

Or through FC's invoke API with the typed client (@alicloud/fc2 underneath):
  createGatewayClient({ accountId: '1', region: 'cn-shanghai', functionName: '${gateway.functionName}', endpoint: '${gateway.url}',
    credentials: { accessKeyId: '${LOCAL_FC_CALLER.accessKeyId}', accessKeySecret: '${LOCAL_FC_CALLER.accessKeySecret}' } }).publish(message)

${gateway.emulator ? `Messages go to the embedded IoT emulator (${gateway.emulator.url}), steered at ${gateway.url}/_emulator; each delivery is shown below.` : `Messages go to IoT Platform at ${gateway.health().iot.endpoint}.`}
`)

installLogView(gateway.settings)
gateway.emulator?.on('message', (message) => console.error(formatDelivery(message)))

// Whoever started the runner stops it, the emulator and every connection with it, by its PID.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => void gateway.stop().finally(() => process.exit(0)))
}
