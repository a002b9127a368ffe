/**
 * `iot-pub`: publishes one message or a batch through the gateway, for smoke tests after `s deploy`.
 * Exit codes: 0 every message published, 1 something failed or was refused, 2 the command was wrong.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { PublishMessage } from '../lib/message/schema.js'
import {
  createGatewayClient,
  GatewayFailedError,
  GatewayRefusedError,
  InvocationDeniedError,
} from './gateway-client.js'
import { localPort, readDotEnvFile } from './local-target.js'

const HELP = `Usage: iot-pub publish [options]

Publishes through the gateway: the local runner (default), a deployed HTTP trigger, or FC's invoke API.

Message:
  --product <key>            product key (required unless --file)
  --device <name>            device name, with --topic
  --topic <short>            topic after /user/, e.g. get or cmd/light
  --topic-full-name <topic>  instead of --device/--topic, e.g. /broadcast/<product>/all
  --payload <value>          JSON when it parses as JSON, else sent as text
  --payload-base64 <b64>     raw payload bytes in base64
  --qos <0|1>                MQTT QoS (default 0)
  --response-topic <topic>   MQTT 5 response topic
  --correlation-data <text>  MQTT 5 correlation data
  --prop <key=value>         MQTT 5 user property (repeat for more)
  --file <path|->            a message, {"messages": [...]} or an array of messages, from a file or stdin

Target (default: the local runner at http://127.0.0.1:<PORT>/, PORT from the shell or .env, else 9000):
  --url <url>                the HTTP trigger URL
  --api-key <key>            API key (or IOT_PUB_API_KEY; the local runner's own key by default)
  --function <name>          invoke this function through FC's invoke API instead
                             (POST /2023-03-30/functions/<name>/invocations); needs:
  --account-id <id>          the account that owns the function
  --region <region>          its region, e.g. cn-shanghai
                             credentials: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/_SECURITY_TOKEN
  --qualifier <q>            a version or alias (default: LATEST)
  --async                    queue the invocation (x-fc-invocation-type: Async); FC retries it
  --log                      print the tail of the function's log to stderr (x-fc-log-type: Tail)
  --service <name>           only for a function in an FC 2.0 service: the 2016-08-15 path
  --endpoint <url>           override https://<account-id>.<region>.fc.aliyuncs.com

  -h, --help                 this help

Exit codes: 0 all published, 1 failed or refused, 2 wrong usage.`

const OPTIONS = {
  product: { type: 'string' },
  device: { type: 'string' },
  topic: { type: 'string' },
  'topic-full-name': { type: 'string' },
  payload: { type: 'string' },
  'payload-base64': { type: 'string' },
  qos: { type: 'string' },
  'response-topic': { type: 'string' },
  'correlation-data': { type: 'string' },
  prop: { type: 'string', multiple: true },
  file: { type: 'string' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  function: { type: 'string' },
  'account-id': { type: 'string' },
  region: { type: 'string' },
  qualifier: { type: 'string' },
  async: { type: 'boolean' },
  log: { type: 'boolean' },
  service: { type: 'string' },
  endpoint: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']

/** Where output goes, so that tests can read it. */
export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
  stdin: () => string
  env: Record<string, string | undefined>
  /** The `.env` file's variables, for the local runner's PORT. @default the `.env` of the working directory */
  dotEnv?: () => Record<string, string>
}

class UsageError extends Error {}

/**
 * Runs the CLI and resolves with its exit code.
 * @example process.exitCode = await runCli(process.argv.slice(2))
 */
export async function runCli(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let flags: Flags
  let body: unknown
  try {
    const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    flags = parsed.values
    if (flags.help || argv.length === 0) {
      io.out(HELP)
      return flags.help ? 0 : 2
    }
    if (parsed.positionals[0] !== 'publish')
      throw new UsageError(`unknown command "${parsed.positionals[0] ?? ''}"`)
    body = requestBody(flags, io)
    const invokeOnly = (['qualifier', 'async', 'log', 'service', 'account-id', 'region'] as const).filter(
      (flag) => flags[flag] !== undefined,
    )
    if (!flags.function && invokeOnly.length > 0)
      throw new UsageError(`--${invokeOnly[0]} goes with --function, not an HTTP target`)
    if (flags.function && flags.url) throw new UsageError('give --url or --function, not both')
  } catch (error) {
    io.err(`iot-pub: ${(error as Error).message}\nRun iot-pub --help for the options.`)
    return 2
  }
  try {
    const answer = flags.function ? await viaInvokeFunction(flags, body, io) : await viaHttp(flags, body, io)
    io.out(JSON.stringify(answer.body, null, 2))
    return answer.ok ? 0 : 1
  } catch (error) {
    io.err(`iot-pub: ${error instanceof UsageError ? error.message : describe(error)}`)
    return error instanceof UsageError ? 2 : 1
  }
}

function requestBody(flags: Flags, io: CliIo): unknown {
  if (flags.file !== undefined) {
    const text = flags.file === '-' ? io.stdin() : readFileSync(flags.file, 'utf8')
    const parsed: unknown = JSON.parse(text)
    return Array.isArray(parsed) ? { messages: parsed } : parsed
  }
  if (!flags.product) throw new UsageError('--product is required (or give --file)')
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

async function viaHttp(flags: Flags, body: unknown, io: CliIo): Promise<{ ok: boolean; body: unknown }> {
  const url =
    flags.url ?? `http://127.0.0.1:${asUsage(() => localPort(io.env, (io.dotEnv ?? readDotEnvFile)()))}/`
  const apiKey = flags['api-key'] ?? io.env.IOT_PUB_API_KEY ?? (flags.url ? undefined : 'local-dev-key')
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey && { authorization: `Bearer ${apiKey}` }) },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // Not JSON (a proxy's page, say): shown as it came.
  }
  return { ok: response.status === 200, body: parsed }
}

async function viaInvokeFunction(
  flags: Flags,
  body: unknown,
  io: CliIo,
): Promise<{ ok: boolean; body: unknown }> {
  const accountId = flags['account-id']
  const region = flags.region
  const accessKeyId = io.env.ALIBABA_CLOUD_ACCESS_KEY_ID
  const accessKeySecret = io.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET
  if (!accountId || !region) throw new UsageError('--function needs --account-id and --region')
  if (!accessKeyId || !accessKeySecret) {
    throw new UsageError('--function needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET')
  }
  const client = asUsage(() =>
    createGatewayClient({
      accountId,
      region,
      credentials: { accessKeyId, accessKeySecret, securityToken: io.env.ALIBABA_CLOUD_SECURITY_TOKEN },
      functionName: flags.function ?? '',
      qualifier: flags.qualifier,
      service: flags.service,
      endpoint: flags.endpoint,
      onLog: flags.log ? (log) => io.err(log) : undefined,
    }),
  )
  const batch = body as { messages?: PublishMessage[] }
  if (flags.async) {
    const queued = await client.publishAsync(batch.messages ?? (body as PublishMessage))
    return { ok: true, body: { queued: true, ...queued } }
  }
  if (!Array.isArray(batch.messages)) return { ok: true, body: await client.publish(body as PublishMessage) }
  const results = await client.publishBatch(batch.messages)
  return { ok: results.every((result) => 'messageId' in result), body: { results } }
}

// The client refuses a malformed target (a function name, a PORT) with a TypeError before any call.
function asUsage<T>(make: () => T): T {
  try {
    return make()
  } catch (error) {
    throw error instanceof TypeError ? new UsageError(error.message) : error
  }
}

function asJsonOrText(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

function describe(error: unknown): string {
  if (error instanceof GatewayRefusedError)
    // The message names the first offending field; the others follow, one a line.
    return `refused: ${error.message}${error.details
      .slice(1)
      .map((d) => `\n  ${d.pointer} ${d.message}`)
      .join('')}`
  if (error instanceof GatewayFailedError) return `failed (a retry may help): ${error.message}`
  if (error instanceof InvocationDeniedError) return `denied by Function Compute: ${error.message}`
  return (error as Error).message ?? String(error)
}

function defaultIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    stdin: () => readFileSync(0, 'utf8'),
    env: process.env,
  }
}
