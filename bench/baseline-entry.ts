// What a hand-written relay would be: pop-core plus the schema compiled at run time, no logs, no retries.
// The benchmark invokes it with the same FC HTTP events as the gateway, for latency and for cold start.
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

interface Message {
  productKey: string
  deviceName: string
  topic: string
  payload: unknown
}

export async function handler(event: Buffer): Promise<unknown> {
  const message = JSON.parse((JSON.parse(event.toString()) as { body: string }).body) as Message
  if (!validate(message)) return { statusCode: 400, body: JSON.stringify({ errors: validate.errors }) }
  const result = await client.request<{ MessageId: unknown; RequestId: string }>(
    'Pub',
    {
      ProductKey: message.productKey,
      TopicFullName: `/${message.productKey}/${message.deviceName}/user/${message.topic}`,
      MessageContent: Buffer.from(JSON.stringify(message.payload)).toString('base64'),
    },
    { method: 'POST' },
  )
  return {
    statusCode: 200,
    body: JSON.stringify({ messageId: String(result.MessageId), requestId: result.RequestId }),
  }
}
