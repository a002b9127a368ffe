/**
 * `iot-pub`: publishes one message or a batch through the gateway, for smoke tests after `s deploy`.
 * Exit codes: 0 every message published, 1 something failed or was refused, 2 the command was wrong.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { GatewayError } from '../lib/errors.js'
import { readPublishRequest } from '../lib/message/publish-request.js'
import type { PublishMessage } from '../lib/message/schema.js'
import { type CliFlags as Flags, HELP, OPTIONS, UsageError } from './cli-options.js'
import { requestBody } from './cli-request.js'
import {
  createGatewayClient,
  GatewayFailedError,
  GatewayRefusedError,
  InvocationDeniedError,
} from './gateway-client.js'
import { localPort, readDotEnvFile } from './local-target.js'

/** Where output goes, so that tests can read it. */
export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
  stdin: () => string
  env: Record<string, string | undefined>
  /** The `.env` file's variables, for the local runner's PORT. @default the `.env` of the working directory */
  dotEnv?: () => Record<string, string>
}

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
    body = requestBody(flags, io.stdin)
    const invokeOnly = (['qualifier', 'async', 'log', 'service', 'account-id', 'region'] as const).filter(
      (flag) => flags[flag] !== undefined,
    )
    if (!flags.function && invokeOnly.length > 0)
      throw new UsageError(`--${invokeOnly[0]} goes with --function, not an HTTP target`)
    if (flags.function && flags.url) throw new UsageError('give --url or --function, not both')
    if (flags.function && flags['api-key'])
      throw new UsageError('--api-key goes with an HTTP target, not --function')
    batchSize(flags, io)
  } catch (error) {
    const json = argv.includes('--json')
    fail(io, json, (error as Error).message, 2)
    if (!json) io.err('Run iot-pub --help for the options.')
    return 2
  }
  if (flags['dry-run']) return dryRun(body, flags, io)
  try {
    const answer = flags.function ? await viaInvokeFunction(flags, body, io) : await viaHttp(flags, body, io)
    io.out(JSON.stringify(answer.body, null, 2))
    if (!answer.ok) fail(io, flags.json, answer.problem ?? 'not every message was published', 1)
    return answer.ok ? 0 : 1
  } catch (error) {
    const code = error instanceof UsageError ? 2 : 1
    fail(io, flags.json, error instanceof UsageError ? error.message : describe(error), code)
    return code
  }
}

// The gateway's own reading of the request, without its confinement lists (only the deployment knows them).
function dryRun(body: unknown, flags: Flags, io: CliIo): number {
  const maxPayloadBytes = Number(io.env.MAX_PAYLOAD_BYTES ?? 262_144)
  try {
    const { parameters } = readPublishRequest(body, {
      maxPayloadBytes,
      maxBatchSize: Number.MAX_SAFE_INTEGER,
    })
    io.out(JSON.stringify({ valid: true, messages: parameters.length, sent: 0 }, null, 2))
    return 0
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error
    io.out(JSON.stringify({ valid: false, error: error.toBody() }, null, 2))
    const first = error.toBody().details?.[0]
    fail(
      io,
      flags.json,
      `not valid, nothing sent: ${error.message}${first ? ` (${first.pointer}: ${first.message})` : ''}`,
      1,
    )
    return 1
  }
}

// One error format on every target: a line with the exit code, or one JSON object for machines.
function fail(io: CliIo, json: boolean | undefined, message: string, exitCode: number): void {
  io.err(json ? JSON.stringify({ error: { message, exitCode } }) : `iot-pub: ${message} (exit ${exitCode})`)
}

function batchSize(flags: Flags, io: CliIo): number {
  const text = flags['batch-size'] ?? io.env.MAX_BATCH_SIZE ?? '100'
  if (!/^[1-9]\d{0,5}$/.test(text)) {
    throw new UsageError(
      `--batch-size (or MAX_BATCH_SIZE) must be a whole number of 1 or more, not "${text}"`,
    )
  }
  return Number(text)
}

interface Answer {
  ok: boolean
  body: unknown
  /** Why not every message was published, for stderr. */
  problem?: string
}

async function viaHttp(flags: Flags, body: unknown, io: CliIo): Promise<Answer> {
  const url =
    flags.url ?? `http://127.0.0.1:${asUsage(() => localPort(io.env, (io.dotEnv ?? readDotEnvFile)()))}/`
  const apiKey = flags['api-key'] ?? io.env.IOT_PUB_API_KEY ?? (flags.url ? undefined : 'local-dev-key')
  const messages = (body as { messages?: unknown }).messages
  const size = batchSize(flags, io)
  if (!Array.isArray(messages) || messages.length <= size) return postOnce(url, apiKey, body, flags, io)
  // Over the gateway's batch limit: consecutive chunks, results joined in order.
  const results: unknown[] = []
  let ok = true
  let problem: string | undefined
  for (let start = 0; start < messages.length; start += size) {
    const chunk = messages.slice(start, start + size)
    const answer = await postOnce(url, apiKey, { messages: chunk }, flags, io)
    const chunkResults = (answer.body as { results?: unknown[] }).results
    results.push(...(chunkResults ?? chunk.map(() => answer.body)))
    ok &&= answer.ok
    problem ??= answer.problem
    io.err(`iot-pub: sent ${Math.min(start + size, messages.length)}/${messages.length} messages`)
  }
  return { ok, body: { results }, problem }
}

async function postOnce(
  url: string,
  apiKey: string | undefined,
  body: unknown,
  flags: Flags,
  io: CliIo,
): Promise<Answer> {
  const started = performance.now()
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey && { authorization: `Bearer ${apiKey}` }) },
      body: JSON.stringify(body),
    })
  } catch (error) {
    const cause = (error as Error & { cause?: NodeJS.ErrnoException }).cause
    throw new Error(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`)
  }
  const text = await response.text()
  if (flags.verbose)
    io.err(`iot-pub: POST ${url} ${response.status} in ${Math.round(performance.now() - started)} ms`)
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // Not JSON (a proxy's page, say): shown as it came.
  }
  const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error
  const problem =
    response.status === 401
      ? `${url} answered 401: give the API key with --api-key or IOT_PUB_API_KEY`
      : response.status === 200
        ? undefined
        : `${url} answered ${response.status}${error ? ` ${error.code}: ${error.message}` : ''}`
  return { ok: response.status === 200, body: parsed, problem }
}

async function viaInvokeFunction(flags: Flags, body: unknown, io: CliIo): Promise<Answer> {
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
