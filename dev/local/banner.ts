/** What `npm start` prints first: where the gateway listens, how to call it, and where messages go. */
import type { LocalGateway } from './runner.js'
import { LOCAL_API_KEY, LOCAL_FC_CALLER } from './runner.js'

/**
 * The start-up text for a running local gateway. It names the access key id messages are signed with,
 * never its secret.
 * @example console.error(describeLocalGateway(gateway))
 */
export function describeLocalGateway(gateway: LocalGateway): string {
  const { environment } = gateway
  const apiKey = environment.GATEWAY_API_KEYS === LOCAL_API_KEY ? LOCAL_API_KEY : '<one of GATEWAY_API_KEYS>'
  const example = JSON.stringify({
    productKey: 'a1Q5XoYxxxx',
    deviceName: 'device1',
    topic: 'get',
    payload: { hello: 'device' },
  })
  const keyId = environment.ALIBABA_CLOUD_ACCESS_KEY_ID
  const signer = keyId
    ? `signed with access key id ${keyId}`
    : 'with no access key: set ALIBABA_CLOUD_ACCESS_KEY_ID and _SECRET'
  const destination = gateway.emulator
    ? `Messages go to the embedded IoT emulator at ${gateway.emulator.url}, ${signer}; each delivery is shown below.
Steer it at ${gateway.url}/_emulator (products, quota, faults: see docs/local-development.md).`
    : `Messages go to IoT Platform at ${environment.IOT_ENDPOINT}, ${signer}.`
  return `iot-pub-gateway listening on ${gateway.url} (health at ${gateway.url}/health, OpenAPI at ${gateway.url}/openapi.json)

Publish over the HTTP trigger:
  curl -s -X POST ${gateway.url}/ -H 'content-type: application/json' -H 'authorization: Bearer ${apiKey}' -d '${example}'

Or with the CLI (the local runner is its default target):
  npx iot-pub publish --api-key ${apiKey} --product a1Q5XoYxxxx --device device1 --topic get --payload '{"hello":"device"}'

Or through FC's invoke API (POST /2023-03-30/functions/${gateway.functionName}/invocations), signed with the local caller's keys:
  ALIBABA_CLOUD_ACCESS_KEY_ID=${LOCAL_FC_CALLER.accessKeyId} ALIBABA_CLOUD_ACCESS_KEY_SECRET=${LOCAL_FC_CALLER.accessKeySecret} \\
    npx iot-pub publish --function ${gateway.functionName} --account-id ${gateway.accountId} --region ${gateway.region} --endpoint ${gateway.url} --product a1Q5XoYxxxx --device device1 --topic get --payload hi

${environment.REDIS_URL ? 'PUB_QPS_LIMIT is shared, through Redis (REDIS_URL), with every instance started with the same REDIS_URL.\n' : ''}${destination}
`
}
