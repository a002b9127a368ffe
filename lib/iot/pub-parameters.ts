/**
 * Turns a valid message into the parameters of IoT Platform's `Pub` API (2018-01-20): the topic is
 * composed, the payload and correlation data are base64-encoded, user properties are numbered.
 */
import { PayloadTooLargeError } from '../errors.js'
import { compactPayload } from '../message/compact-json.js'
import { customTopic, targetDevice } from '../message/rules.js'
import type { PublishMessage } from '../message/schema.js'

/** `Pub`'s request parameters, by their API names; absent parameters are left out, never undefined. */
export type PubParameters = Record<string, string>

/** What the gateway adds to each message. */
export interface PubSettings {
  iotInstanceId?: string
  maxPayloadBytes: number
}

/**
 * Builds the `Pub` parameters of a message.
 * @throws PayloadTooLargeError when the decoded payload exceeds `maxPayloadBytes`
 * @example toPubParameters({ productKey: 'pk', deviceName: 'd', topic: 'get', payload: 'hi' }, { maxPayloadBytes: 262144 })
 */
export function toPubParameters(message: PublishMessage, settings: PubSettings): PubParameters {
  const payload = payloadBytes(message)
  if (payload.length > settings.maxPayloadBytes) {
    const field = message.payloadBase64 === undefined ? '/payload' : '/payloadBase64'
    throw new PayloadTooLargeError(
      `The payload is ${payload.length} bytes; at most ${settings.maxPayloadBytes} are accepted`,
      [{ pointer: field, message: `decodes to ${payload.length} bytes, over ${settings.maxPayloadBytes}` }],
    )
  }
  const parameters: PubParameters = {
    ProductKey: message.productKey,
    TopicFullName: topicFullName(message),
    MessageContent: payload.toString('base64'),
    Qos: String(message.qos ?? 0),
  }
  if (settings.iotInstanceId) parameters.IotInstanceId = settings.iotInstanceId
  if (message.responseTopic !== undefined)
    parameters.ResponseTopic = responseTopic(message, message.responseTopic)
  if (message.correlationData !== undefined) {
    parameters.CorrelationData = Buffer.from(message.correlationData, 'utf8').toString('base64')
  }
  if (message.userProperties !== undefined) {
    Object.entries(message.userProperties).forEach(([key, value], index) => {
      parameters[`UserProp.${index + 1}.Key`] = key
      parameters[`UserProp.${index + 1}.Value`] = value
    })
  }
  return parameters
}

/** The bytes a device receives: a string as UTF-8, any other JSON value as compact JSON text (`compactPayload`). */
export function payloadBytes(message: PublishMessage): Buffer {
  if (message.payloadBase64 !== undefined) return Buffer.from(message.payloadBase64, 'base64')
  const { payload } = message
  return Buffer.from(typeof payload === 'string' ? payload : compactPayload(message), 'utf8')
}

function topicFullName(message: PublishMessage): string {
  return (
    message.topicFullName ?? customTopic(message.productKey, message.deviceName ?? '', message.topic ?? '')
  )
}

// A short response topic is relative to the device the message goes to (the rules ensured there is one).
function responseTopic(message: PublishMessage, topic: string): string {
  return topic.startsWith('/') ? topic : customTopic(message.productKey, targetDevice(message) ?? '', topic)
}
