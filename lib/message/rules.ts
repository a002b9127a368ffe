/**
 * The rules of a message that span several fields, checked after the schema has passed: how the topic
 * is named, which payload field is given, and that a full topic belongs to the product.
 */
import type { ErrorDetail } from '../errors.js'
import { MAX_TOPIC_LENGTH, type PublishMessage } from './schema.js'

/**
 * Lists the cross-field problems of a message that already matches the schema.
 * @param message - a message the schema accepted
 */
export function findRuleProblems(message: PublishMessage): ErrorDetail[] {
  return topicProblems(message).concat(payloadProblems(message), responseTopicProblems(message))
}

function topicProblems(message: PublishMessage): ErrorDetail[] {
  const { productKey, deviceName, topic, topicFullName } = message
  if (topicFullName !== undefined) {
    if (deviceName !== undefined || topic !== undefined) {
      return [
        { pointer: '/topicFullName', message: 'give either topicFullName or deviceName and topic, not both' },
      ]
    }
    if (
      !topicFullName.startsWith(`/${productKey}/`) &&
      !topicFullName.startsWith(`/broadcast/${productKey}/`)
    ) {
      return [
        {
          pointer: '/topicFullName',
          message: `must start with /${productKey}/ or /broadcast/${productKey}/ (the message's productKey)`,
        },
      ]
    }
    return []
  }
  if (deviceName === undefined) {
    return [{ pointer: '/deviceName', message: 'is required (with topic), unless topicFullName is given' }]
  }
  // A full topic written without its leading "/" passes the pattern but would be composed a second time.
  const fullPrefix = `${productKey}/${deviceName}/user/`
  if (topic?.startsWith(fullPrefix)) {
    return [
      {
        pointer: '/topic',
        message: `is a full topic: send "/${topic}" as topicFullName (without deviceName and topic), or only "${topic.slice(fullPrefix.length)}" as topic`,
      },
    ]
  }
  if (customTopic(productKey, deviceName, topic ?? '').length > MAX_TOPIC_LENGTH) {
    return [{ pointer: '/topic', message: `makes a full topic longer than ${MAX_TOPIC_LENGTH} characters` }]
  }
  return []
}

function payloadProblems(message: PublishMessage): ErrorDetail[] {
  const hasPayload = Object.hasOwn(message, 'payload')
  const { payloadBase64 } = message
  if (hasPayload && payloadBase64 !== undefined) {
    return [{ pointer: '/payloadBase64', message: 'give either payload or payloadBase64, not both' }]
  }
  if (!hasPayload && payloadBase64 === undefined) {
    return [{ pointer: '/payload', message: 'is required, unless payloadBase64 is given' }]
  }
  if (message.payload === '' || payloadBase64 === '') {
    const pointer = hasPayload ? '/payload' : '/payloadBase64'
    return [{ pointer, message: 'must not be empty: IoT Platform refuses an empty message' }]
  }
  // The schema's pattern admits unused bits in the last character; only canonical base64 round-trips.
  if (
    payloadBase64 !== undefined &&
    Buffer.from(payloadBase64, 'base64').toString('base64') !== payloadBase64
  ) {
    return [
      { pointer: '/payloadBase64', message: 'is not canonical base64 (stray bits in its last character)' },
    ]
  }
  return []
}

function responseTopicProblems(message: PublishMessage): ErrorDetail[] {
  const { responseTopic } = message
  if (responseTopic === undefined || responseTopic.startsWith('/')) return []
  const device = targetDevice(message)
  if (device === undefined) {
    return [{ pointer: '/responseTopic', message: 'must be a full topic starting with "/" for a broadcast' }]
  }
  // A short name is composed into the device's full topic, which has IoT's limit too.
  if (customTopic(message.productKey, device, responseTopic).length > MAX_TOPIC_LENGTH) {
    return [
      { pointer: '/responseTopic', message: `makes a full topic longer than ${MAX_TOPIC_LENGTH} characters` },
    ]
  }
  return []
}

/**
 * The full name of a device's custom topic.
 * @example customTopic('a1Q5', 'dev1', 'get') // '/a1Q5/dev1/user/get'
 */
export function customTopic(productKey: string, deviceName: string, shortName: string): string {
  return `/${productKey}/${deviceName}/user/${shortName}`
}

/** The device a message addresses, from deviceName or from a device topic; undefined for a broadcast. */
export function targetDevice(message: PublishMessage): string | undefined {
  if (message.deviceName !== undefined) return message.deviceName
  const prefix = `/${message.productKey}/`
  if (!message.topicFullName?.startsWith(prefix)) return undefined
  return message.topicFullName.slice(prefix.length).split('/')[0]
}
