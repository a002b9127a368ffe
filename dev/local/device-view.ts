/** Shows a delivered message the way a device would receive it, for a person watching `npm start`. */
import type { DeliveredMessage } from '../iot-emulator/pub-api.js'

/**
 * A few readable lines describing one delivered message.
 * @example console.log(formatDelivery(message))
 */
export function formatDelivery(message: DeliveredMessage): string {
  const lines = [
    `→ ${message.topicFullName}  (QoS ${message.qos}, MessageId ${message.messageId})`,
    `  payload: ${readable(message.payload)}`,
  ]
  if (message.responseTopic) lines.push(`  response topic: ${message.responseTopic}`)
  if (message.correlationData) lines.push(`  correlation data: ${readable(message.correlationData)}`)
  for (const { key, value } of message.userProperties) lines.push(`  user property: ${key} = ${value}`)
  return lines.join('\n')
}

// Text is shown as text; bytes that are not valid UTF-8 are shown as base64.
function readable(bytes: Buffer): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  const isText = Buffer.from(text, 'utf8').equals(bytes) && !/[^\P{Cc}\t\n\r]/u.test(text)
  return isText ? text : `(${bytes.length} bytes, base64) ${bytes.toString('base64')}`
}
