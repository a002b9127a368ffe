/** Real-shaped timer and EventBridge events, as FC delivers them. */
import type { FcHttpEvent } from '../../lib/fc/types.js'
import type { CloudEvent } from '../../lib/triggers/eventbridge.js'
import type { FcTimerEvent } from '../../lib/triggers/timer.js'

/** A timer trigger event whose payload is `payload` as JSON text (or the text itself). */
export function aTimerEvent(payload: unknown): FcTimerEvent {
  return {
    triggerTime: '2026-11-25T07:49:00Z',
    triggerName: 'every-minute',
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  }
}

type Source = 'mns' | 'rocketmq' | 'kafka' | 'rabbitmq'

const SHAPES: Record<
  Source,
  { type: string; source: string; field: string; extra: Record<string, unknown> }
> = {
  mns: {
    type: 'mns:Queue:SendMessage',
    source: 'MNS-iot-queue',
    field: 'messageBody',
    extra: { requestId: 'r', messageId: 'm' },
  },
  rocketmq: {
    type: 'mq:Topic:SendMessage',
    source: 'RocketMQ-iot',
    field: 'body',
    extra: { topic: 'iot', systemProperties: {} },
  },
  kafka: {
    type: 'alikafka:Topic:Message',
    source: 'Kafka-iot',
    field: 'value',
    extra: { topic: 'iot', partition: 0, offset: 7 },
  },
  rabbitmq: {
    type: 'amqp:Queue:SendMessage',
    source: 'RabbitMQ-iot',
    field: 'body',
    extra: { envelope: {}, props: {} },
  },
}

/** A CloudEvent from `source` whose body field holds `body` (JSON text unless given as a string or raw). */
export function aCloudEvent(
  source: Source,
  body: unknown,
  id = `event-${source}-${Math.random().toString(16).slice(2, 8)}`,
  raw = false,
): CloudEvent {
  const shape = SHAPES[source]
  return {
    id,
    source: shape.source,
    specversion: '1.0',
    type: shape.type,
    datacontenttype: 'application/json;charset=utf-8',
    subject: `acs:${source}:cn-shanghai:123:iot`,
    time: '2026-11-25T07:49:00.000Z',
    aliyunaccountid: '1234567890',
    aliyunpublishtime: '2026-11-25T07:49:00.123Z',
    aliyuneventbusname: 'default',
    data: { ...shape.extra, [shape.field]: raw || typeof body === 'string' ? body : JSON.stringify(body) },
  } as CloudEvent
}

/**
 * An InvokeFunction call as FC has been seen to hand it to a function with an HTTP trigger: an HTTP
 * event for `POST /2023-03-30/functions/<name>/invocations` on the account's API domain, with the
 * caller's headers (names first-letter upper-cased, as FC delivers them) and the body as text.
 */
export function anInvokeApiEvent(
  body: string,
  overrides: {
    domainName?: string
    accountId?: string
    headers?: Record<string, string>
    rawPath?: string
  } = {},
): FcHttpEvent {
  const accountId = overrides.accountId ?? '1234567890'
  const rawPath = overrides.rawPath ?? '/2023-03-30/functions/iot-pub-gateway/invocations'
  return {
    version: 'v1',
    rawPath,
    body,
    isBase64Encoded: false,
    headers: {
      Accept: 'application/json',
      Authorization: 'ACS3-HMAC-SHA256 Credential=LTAIcaller,SignedHeaders=host;x-acs-action,Signature=00',
      'Content-Type': 'application/octet-stream',
      'User-Agent': 'AlibabaCloud (linux; x64) Node.js/v20 Core/1.0.1 TeaDSL/1',
      'X-Acs-Action': 'InvokeFunction',
      'X-Acs-Version': '2023-03-30',
      'X-Fc-Invocation-Type': 'Sync',
      'X-Fc-Log-Type': 'None',
      ...overrides.headers,
    },
    queryParameters: {},
    requestContext: {
      accountId,
      domainName: overrides.domainName ?? `${accountId}.cn-shanghai.fc.aliyuncs.com`,
      domainPrefix: accountId,
      requestId: 'invoke-request-1',
      time: '2026-11-25T07:49:00Z',
      timeEpoch: '1795592940000',
      http: {
        method: 'POST',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'AlibabaCloud (linux; x64) Node.js/v20 Core/1.0.1 TeaDSL/1',
      },
    },
  }
}
