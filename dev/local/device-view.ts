/** Shows a delivered message the way a device would receive it, for a person watching `npm start`. */
import type { DeliveredMessage } from '../iot-emulator/pub-api.js'

/** Payloads longer than this many bytes are shown cut, with their size. */
export const SHOWN_PAYLOAD_BYTES = 2_048

/**
 * A few readable lines describing one delivered message.
 * @example console.log(formatDelivery(message))
 */
export function formatDelivery(message: DeliveredMessage): string {
  const lines = [
    `→ ${message.topicFullName}  (QoS ${message.qos}, MessageId ${message.messageId})`,
    `  payload: ${shown(message.payload)}`,
  ]
  if (message.responseTopic) lines.push(`  response topic: ${message.responseTopic}`)
  if (message.correlationData) lines.push(`  correlation data: ${shown(message.correlationData)}`)
  for (const { key, value } of message.userProperties) lines.push(`  user property: ${key} = ${value}`)
  return lines.join('\n')
}

// A long payload would push everything else off the screen: its start and its size say enough.
function shown(bytes: Buffer): string {
  if (bytes.length <= SHOWN_PAYLOAD_BYTES) return readable(bytes)
  const size = bytes.length.toLocaleString('en-US')
  return `${readable(bytes.subarray(0, SHOWN_PAYLOAD_BYTES), true)}… (${size} bytes, first ${SHOWN_PAYLOAD_BYTES.toLocaleString('en-US')} shown)`
}

// Text is shown as text; bytes that are not valid UTF-8 are shown as base64. A cut may split the last
// character: decoding as a stream holds its incomplete tail back instead of calling the rest binary.
function readable(bytes: Buffer, cut = false): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes, { stream: cut })
    if (!/[^\P{Cc}\t\n\r]/u.test(text)) return text
  } catch {
    // Not UTF-8: shown as base64 below.
  }
  return `(${cut ? '' : `${bytes.length} bytes, `}base64) ${bytes.toString('base64')}`
}
