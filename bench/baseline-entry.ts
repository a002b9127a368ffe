// What a hand-written relay would be: pop-core plus the schema compiled at run time. The cold-start
// benchmark compares the gateway's bundle with this one, bundled the same way.
import RPCClient from '@alicloud/pop-core/lib/rpc.js'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { messageSchema } from '../lib/message/schema.js'

const validate = new Ajv2020({ allErrors: true, strict: true }).compile(messageSchema)
const client = new RPCClient({
  endpoint: process.env.IOT_ENDPOINT ?? '',
  apiVersion: '2018-01-20',
  accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? '',
  accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ?? '',
})

export async function handler(event: Buffer): Promise<unknown> {
  const message = JSON.parse(event.toString()) as {
    productKey: string
    deviceName: string
    topic: string
    payload: unknown
  }
  if (!validate(message)) return { error: validate.errors }
  return client.request(
    'Pub',
    {
      ProductKey: message.productKey,
      TopicFullName: `/${message.productKey}/${message.deviceName}/user/${message.topic}`,
      MessageContent: Buffer.from(JSON.stringify(message.payload)).toString('base64'),
    },
    { method: 'POST' },
  )
}
