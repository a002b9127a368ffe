// `npm start`: runs the gateway locally, against the embedded IoT emulator unless IOT_ENDPOINT is set.
import { formatDelivery } from './device-view.js'
import { LOCAL_API_KEY, LOCAL_FC_CALLER, startLocalGateway } from './runner.js'

const port = Number(process.env.PORT ?? 9000)
const gateway = await startLocalGateway({ port, host: process.env.HOST ?? '127.0.0.1' })
const apiKey =
  gateway.environment.GATEWAY_API_KEYS === LOCAL_API_KEY ? LOCAL_API_KEY : '<one of GATEWAY_API_KEYS>'
const example = JSON.stringify({
  productKey: 'a1Q5XoYxxxx',
  deviceName: 'device1',
  topic: 'get',
  payload: { hello: 'device' },
})

console.error(`iot-pub-gateway listening on ${gateway.url} (OpenAPI at ${gateway.url}/openapi.json)

Publish over the HTTP trigger:
  curl -s -X POST ${gateway.url}/ -H 'content-type: application/json' -H 'authorization: Bearer ${apiKey}' -d '${example}'

Or with the CLI:
  npx iot-pub publish --url ${gateway.url}/ --api-key ${apiKey} --product a1Q5XoYxxxx --device device1 --topic get --payload '{"hello":"device"}'

Or through FC's invoke API with the typed client (@alicloud/fc2 underneath):
  createGatewayClient({ accountId: '1', region: 'cn-shanghai', functionName: '${gateway.functionName}', endpoint: '${gateway.url}',
    credentials: { accessKeyId: '${LOCAL_FC_CALLER.accessKeyId}', accessKeySecret: '${LOCAL_FC_CALLER.accessKeySecret}' } }).publish(message)

${gateway.environment.REDIS_URL ? 'PUB_QPS_LIMIT is shared, through Redis (REDIS_URL), with every instance started with the same REDIS_URL.\n' : ''}${gateway.emulator ? `Messages go to the embedded IoT emulator (${gateway.emulator.url}); each delivery is shown below.` : `Messages go to IoT Platform at ${gateway.environment.IOT_ENDPOINT}.`}
`)

gateway.emulator?.on('message', (message) => console.error(formatDelivery(message)))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void gateway.stop().then(() => process.exit(0)))
}
