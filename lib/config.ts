/**
 * The gateway's settings, read from the environment in this one place. Every other module receives a
 * `GatewayConfig`; a missing or malformed variable fails with an error that names it.
 */
import { ConfigurationError } from './errors.js'
import type { FcContext, FcCredentials } from './fc/types.js'

/** Typed settings with their documented defaults. */
export interface GatewayConfig {
  /** Base URL of IoT Platform's API: `IOT_ENDPOINT`, else `https://iot.${IOT_REGION ?? FC_REGION}.aliyuncs.com`. */
  iotEndpoint: string
  /** `IOT_INSTANCE_ID`, sent as `IotInstanceId` when set. @default undefined */
  iotInstanceId?: string
  /** `MAX_PAYLOAD_BYTES`: largest decoded payload accepted. @default 262144 */
  maxPayloadBytes: number
  /** `PUB_TIMEOUT_MS`: time limit of one whole Pub call (DNS lookup, connect, TLS, write and read). @default 5000 */
  pubTimeoutMs: number
  /**
   * `PUB_MAYBE_SENT_RETRIES`: how many times a message is sent again after calls that may have published
   * it (a read timeout, a reset after the request was written); `0` never repeats them. @default 1
   */
  pubMaybeSentRetries: number
  /**
   * `PUB_QPS_LIMIT`: most Pub calls per second this instance makes, or, with `REDIS_URL`, all instances
   * together (the account's quota is 1600, shared with its other callers). @default 1600
   */
  pubQpsLimit: number
  /** `MAX_BATCH_SIZE`: most messages in one batch. @default 100 */
  maxBatchSize: number
  /** `PUB_CONCURRENCY`: most Pub calls in flight for one batch. @default 16 */
  pubConcurrency: number
  /** `DEADLINE_MARGIN_MS`: time kept before the function's timeout to answer. @default 500 */
  deadlineMarginMs: number
  /** `GATEWAY_AUTH`: how HTTP callers are authenticated; `none` only where FC authenticates them. @default 'api-key' */
  gatewayAuth: 'api-key' | 'none'
  /** `GATEWAY_API_KEYS`: comma-separated keys accepted as `Authorization: Bearer <key>`. @default [] */
  apiKeys: string[]
  /** `ALLOWED_PRODUCT_KEYS`: comma-separated products messages may go to; all when unset. @default undefined */
  allowedProductKeys?: string[]
  /** `ALLOWED_TOPICS`: comma-separated MQTT patterns (`+`, `#`) full topics must match; all when unset. @default undefined */
  allowedTopics?: string[]
  /** `MAX_BODY_BYTES`: largest HTTP body read; larger ones are refused before parsing. @default 33554432 (FC's limit) */
  maxBodyBytes: number
  /** `IDEMPOTENCY_TTL_S`: how long a published message's idempotency key is remembered. @default 86400 (one day, EventBridge's longest retry policy) */
  idempotencyTtlSeconds: number
  /**
   * `REDIS_URL`: `redis://` or `rediss://` (TLS) URL of the Redis or Tair instance that the fleet shares,
   * password included. Set, it makes `PUB_QPS_LIMIT` the budget of all instances together. Never logged.
   * @default undefined (each instance keeps its own limit)
   */
  redisUrl?: string
  /** `REDIS_TIMEOUT_MS`: longest wait for any Redis reply before falling back to the instance's own state. @default 50 */
  redisTimeoutMs: number
  /** `ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET`/`SECURITY_TOKEN`, used when FC passes no role credentials. */
  environmentCredentials?: FcCredentials
}

type Env = Record<string, string | undefined>

const REGION = /^[a-z]{2}-[a-z]+(?:-\d+)?$/

/**
 * Reads and checks the gateway's settings.
 * @param env - the process environment, or a stand-in in tests
 * @throws ConfigurationError naming the variable to set or fix
 * @example const config = loadConfig(process.env)
 */
export function loadConfig(env: Env): GatewayConfig {
  return {
    iotEndpoint: iotEndpoint(env),
    iotInstanceId: nonEmpty(env.IOT_INSTANCE_ID),
    maxPayloadBytes: positiveInteger(env, 'MAX_PAYLOAD_BYTES', 262_144),
    pubTimeoutMs: positiveInteger(env, 'PUB_TIMEOUT_MS', 5_000),
    pubMaybeSentRetries: wholeNumber(env, 'PUB_MAYBE_SENT_RETRIES', 1),
    pubQpsLimit: positiveInteger(env, 'PUB_QPS_LIMIT', 1_600),
    deadlineMarginMs: positiveInteger(env, 'DEADLINE_MARGIN_MS', 500),
    maxBatchSize: positiveInteger(env, 'MAX_BATCH_SIZE', 100),
    pubConcurrency: positiveInteger(env, 'PUB_CONCURRENCY', 16),
    gatewayAuth: gatewayAuth(env.GATEWAY_AUTH),
    apiKeys: list(env.GATEWAY_API_KEYS) ?? [],
    allowedProductKeys: list(env.ALLOWED_PRODUCT_KEYS),
    allowedTopics: topicPatterns(env.ALLOWED_TOPICS),
    maxBodyBytes: positiveInteger(env, 'MAX_BODY_BYTES', 32 * 1024 * 1024),
    idempotencyTtlSeconds: positiveInteger(env, 'IDEMPOTENCY_TTL_S', 86_400),
    redisUrl: redisUrl(env.REDIS_URL),
    redisTimeoutMs: positiveInteger(env, 'REDIS_TIMEOUT_MS', 50),
    environmentCredentials: environmentCredentials(env),
  }
}

/**
 * The credentials to sign this invocation's calls with: the function role's STS credentials when FC
 * passes them (they rotate, so they are taken per invocation), else the environment's keys.
 * @throws ConfigurationError when neither is available
 */
export function credentialsFor(
  context: Pick<FcContext, 'credentials'>,
  config: GatewayConfig,
): FcCredentials {
  const role = context.credentials
  if (role?.accessKeyId && role.accessKeySecret) {
    return {
      accessKeyId: role.accessKeyId,
      accessKeySecret: role.accessKeySecret,
      securityToken: nonEmpty(role.securityToken),
    }
  }
  if (config.environmentCredentials) return config.environmentCredentials
  throw new ConfigurationError(
    'No credentials to call IoT Platform: give the function a role, or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  )
}

function iotEndpoint(env: Env): string {
  const endpoint = nonEmpty(env.IOT_ENDPOINT)
  if (endpoint) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
      throw new ConfigurationError('IOT_ENDPOINT must be a URL such as https://iot.cn-shanghai.aliyuncs.com')
    }
    return endpoint.replace(/\/$/, '')
  }
  const region = nonEmpty(env.IOT_REGION) ?? nonEmpty(env.FC_REGION)
  if (!region) throw new ConfigurationError('No IoT Platform region: set IOT_REGION (or IOT_ENDPOINT)')
  if (!REGION.test(region)) throw new ConfigurationError(`IOT_REGION is not a region id such as cn-shanghai`)
  return `https://iot.${region}.aliyuncs.com`
}

function gatewayAuth(value: string | undefined): GatewayConfig['gatewayAuth'] {
  const mode = nonEmpty(value) ?? 'api-key'
  if (mode !== 'api-key' && mode !== 'none')
    throw new ConfigurationError(`GATEWAY_AUTH must be api-key or none, not "${mode}"`)
  return mode
}

// The value holds the password: no error message may quote it.
function redisUrl(value: string | undefined): string | undefined {
  const url = nonEmpty(value)
  if (url === undefined) return undefined
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConfigurationError('REDIS_URL is not a URL: use redis://[:password@]host:port or rediss://…')
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new ConfigurationError('REDIS_URL must start with redis:// or rediss:// (TLS)')
  if (!parsed.hostname) throw new ConfigurationError('REDIS_URL names no host')
  return url
}

// MQTT filters: `+` stands for one whole level, `#` for the rest and only as the last level.
function topicPatterns(value: string | undefined): string[] | undefined {
  const patterns = list(value)
  for (const pattern of patterns ?? []) {
    const levels = pattern.split('/')
    const misplaced = levels.some(
      (level, index) =>
        (level.includes('+') && level !== '+') ||
        (level.includes('#') && (level !== '#' || index !== levels.length - 1)),
    )
    if (!pattern.startsWith('/') || misplaced) {
      throw new ConfigurationError(
        `ALLOWED_TOPICS has "${pattern}": use full topics with + and # as whole levels`,
      )
    }
  }
  return patterns
}

function list(value: string | undefined): string[] | undefined {
  const items = (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
  return items.length > 0 ? items : undefined
}

function environmentCredentials(env: Env): FcCredentials | undefined {
  const accessKeyId = nonEmpty(env.ALIBABA_CLOUD_ACCESS_KEY_ID)
  const accessKeySecret = nonEmpty(env.ALIBABA_CLOUD_ACCESS_KEY_SECRET)
  if (!accessKeyId && !accessKeySecret) return undefined
  if (!accessKeyId)
    throw new ConfigurationError('ALIBABA_CLOUD_ACCESS_KEY_SECRET is set without ALIBABA_CLOUD_ACCESS_KEY_ID')
  if (!accessKeySecret)
    throw new ConfigurationError('ALIBABA_CLOUD_ACCESS_KEY_ID is set without ALIBABA_CLOUD_ACCESS_KEY_SECRET')
  return { accessKeyId, accessKeySecret, securityToken: nonEmpty(env.ALIBABA_CLOUD_SECURITY_TOKEN) }
}

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env[name])
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`${name} must be a positive whole number, not "${raw}"`)
  }
  return value
}

function wholeNumber(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env[name])
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigurationError(`${name} must be a whole number, 0 or more, not "${raw}"`)
  }
  return value
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed ? trimmed : undefined
}
