/** What `iot-pub publish` sends: the request its flags, or the file it names, describe. */
import { readFileSync } from 'node:fs'
import { type CliFlags, UsageError } from './cli-options.js'

const MESSAGE_FLAGS = [
  'product',
  'device',
  'topic',
  'topic-full-name',
  'payload',
  'payload-base64',
  'qos',
  'response-topic',
  'correlation-data',
  'prop',
] as const
const CONFLICTS = [
  ['payload', 'payload-base64'],
  ['topic-full-name', 'device'],
  ['topic-full-name', 'topic'],
] as const

function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
  }
}

/**
 * The request the flags describe: a message from the message flags, or what `--file` holds (an array
 * becomes a batch).
 * @throws UsageError when the flags conflict or the file is not JSON
 */
export function requestBody(flags: CliFlags, readStdin: () => string): unknown {
  const messageFlags = MESSAGE_FLAGS.filter((flag) => flags[flag] !== undefined)
  if (flags.file !== undefined) {
    if (messageFlags.length > 0) throw new UsageError(`--${messageFlags[0]} and --file do not go together`)
    const text = flags.file === '-' ? readStdin() : readFile(flags.file)
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new UsageError(
        `${flags.file === '-' ? 'stdin' : flags.file} is not JSON: ${(error as Error).message}`,
      )
    }
    return Array.isArray(parsed) ? { messages: parsed } : parsed
  }
  if (!flags.product) throw new UsageError('--product is required (or give --file)')
  for (const [one, other] of CONFLICTS) {
    if (flags[one] !== undefined && flags[other] !== undefined)
      throw new UsageError(`give --${one} or --${other}, not both`)
  }
  if (flags.qos !== undefined && flags.qos !== '0' && flags.qos !== '1') {
    throw new UsageError(`--qos must be 0 or 1, not "${flags.qos}"`)
  }
  const message: Record<string, unknown> = { productKey: flags.product }
  if (flags.device !== undefined) message.deviceName = flags.device
  if (flags.topic !== undefined) message.topic = flags.topic
  if (flags['topic-full-name'] !== undefined) message.topicFullName = flags['topic-full-name']
  if (flags.payload !== undefined) message.payload = asJsonOrText(flags.payload)
  if (flags['payload-base64'] !== undefined) message.payloadBase64 = flags['payload-base64']
  if (flags.qos !== undefined) message.qos = Number(flags.qos)
  if (flags['response-topic'] !== undefined) message.responseTopic = flags['response-topic']
  if (flags['correlation-data'] !== undefined) message.correlationData = flags['correlation-data']
  if (flags.prop) {
    message.userProperties = Object.fromEntries(
      flags.prop.map((pair) => {
        const at = pair.indexOf('=')
        if (at < 1) throw new UsageError(`--prop takes key=value, not "${pair}"`)
        return [pair.slice(0, at), pair.slice(at + 1)]
      }),
    )
  }
  return message
}

function asJsonOrText(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}
