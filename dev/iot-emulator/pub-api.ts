/**
 * What IoT Platform's `Pub` action checks of its own parameters, and the message a device receives.
 * Pure: the server decides about signatures, products and devices.
 */

/** A message as the device receives it. */
export interface DeliveredMessage {
  messageId: string
  productKey: string
  topicFullName: string
  payload: Buffer
  qos: 0 | 1
  iotInstanceId?: string
  responseTopic?: string
  correlationData?: Buffer
  userProperties: { key: string; value: string }[]
}

/** IoT's refusal: its code, message, and whether the POP gateway (HTTP 4xx) or IoT (HTTP 200) answers. */
export interface PubRefusal {
  code: string
  message: string
  status: number
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const TOPIC_LEVEL = /^[A-Za-z0-9_.:@-]+$/
const MAX_USER_PROPERTIES = 20

/**
 * Checks `Pub`'s parameters and reads the message they carry (without its MessageId).
 * @returns the message, or IoT's refusal
 */
export function readPub(
  parameters: Record<string, string>,
): Omit<DeliveredMessage, 'messageId'> | PubRefusal {
  const { ProductKey: productKey, TopicFullName: topicFullName, MessageContent: content } = parameters
  if (!productKey) return missing('ProductKey')
  if (!topicFullName) return missing('TopicFullName')
  if (content === undefined) return missing('MessageContent')
  if (!isTopicOf(productKey, topicFullName)) {
    return business('iot.messagebroker.InvalidFormattedTopicName', 'The topic name format is invalid.')
  }
  if (content === '') return business('iot.messagebroker.NullMessageContent', 'The message content is empty.')
  if (!BASE64.test(content))
    return business('iot.messagebroker.MessageContentIsNotBase64Encode', 'The message is not base64 encoded.')
  const qos = parameters.Qos ?? '0'
  if (qos !== '0' && qos !== '1') return invalid('Qos')
  const correlation = parameters.CorrelationData
  if (correlation !== undefined && !BASE64.test(correlation)) return invalid('CorrelationData')
  const responseTopic = parameters.ResponseTopic
  if (responseTopic !== undefined && !isTopic(responseTopic)) return invalid('ResponseTopic')
  const userProperties = readUserProperties(parameters)
  if (!Array.isArray(userProperties)) return userProperties
  return {
    productKey,
    topicFullName,
    payload: Buffer.from(content, 'base64'),
    qos: qos === '1' ? 1 : 0,
    iotInstanceId: parameters.IotInstanceId,
    responseTopic,
    correlationData: correlation === undefined ? undefined : Buffer.from(correlation, 'base64'),
    userProperties,
  }
}

/** Whether a `readPub` outcome is a refusal. */
export function isRefusal(value: object): value is PubRefusal {
  return 'code' in value
}

/** The device a topic addresses, or undefined for a broadcast. */
export function deviceOfTopic(productKey: string, topicFullName: string): string | undefined {
  if (topicFullName.startsWith(`/broadcast/${productKey}/`)) return undefined
  return topicFullName.split('/')[2]
}

function readUserProperties(
  parameters: Record<string, string>,
): DeliveredMessage['userProperties'] | PubRefusal {
  const properties: DeliveredMessage['userProperties'] = []
  for (let n = 1; parameters[`UserProp.${n}.Key`] !== undefined; n++) {
    if (n > MAX_USER_PROPERTIES) return invalid('UserProp')
    const value = parameters[`UserProp.${n}.Value`]
    if (value === undefined) return invalid(`UserProp.${n}.Value`)
    properties.push({ key: parameters[`UserProp.${n}.Key`] ?? '', value })
  }
  return properties
}

function isTopicOf(productKey: string, topic: string): boolean {
  if (!isTopic(topic)) return false
  const levels = topic.split('/')
  if (levels[1] === 'broadcast') return levels[2] === productKey && levels.length > 3
  return levels[1] === productKey && levels[3] === 'user' && levels.length > 4
}

function isTopic(topic: string): boolean {
  if (topic.length > 128 || !topic.startsWith('/')) return false
  return topic
    .slice(1)
    .split('/')
    .every((level) => TOPIC_LEVEL.test(level))
}

function missing(name: string): PubRefusal {
  return {
    code: 'MissingParameter',
    message: `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
    status: 400,
  }
}

function invalid(name: string): PubRefusal {
  return { code: 'InvalidParameter', message: `The specified parameter "${name}" is not valid.`, status: 400 }
}

// IoT's own refusals come back as HTTP 200 with Success:false.
function business(code: string, message: string): PubRefusal {
  return { code, message, status: 200 }
}
