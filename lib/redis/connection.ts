/**
 * The instance's connection to Redis (ApsaraDB for Redis or Tair), shared by whatever keeps fleet-wide
 * state there. Every command is bounded by `REDIS_TIMEOUT_MS`; any failure (down, slow, refusing) opens an
 * outage: callers get `undefined` at once and use their per-instance fallback, one line is logged, and a
 * background probe closes the outage when Redis answers again.
 *
 * The client is ioredis rather than node-redis: it has a per-command timeout (`commandTimeout`), can
 * refuse commands at once while disconnected (`enableOfflineQueue: false`) instead of queueing them, and
 * runs Lua by SHA with a transparent fallback to EVAL (`defineCommand`); all three are what a fall-back-
 * at-once design needs, and node-redis would need them built around it. Both speak TLS (`rediss://`) and
 * cluster. ioredis is loaded with `import()` only when `REDIS_URL` is set (the build puts it in a file
 * of its own), so an instance without Redis never reads it.
 */
import type { Redis, RedisOptions } from 'ioredis'
import type { GatewayConfig } from '../config.js'
import { describeError, type Logger } from '../log.js'

/** A Lua script run on one key, or on keys sharing one `{hash tag}`, so that it runs on Tair cluster. */
export interface RedisScript {
  /** Name of the command the script becomes on the client. */
  name: string
  lua: string
  numberOfKeys: number
}

/** Settings of a connection. */
export interface RedisConnectionOptions {
  /** `REDIS_URL`: `redis://` or `rediss://`, password included; never logged. */
  url: string
  /** `REDIS_TIMEOUT_MS`: longest wait for any command's reply. */
  timeoutMs: number
  logger: Logger
  /** Pause between background attempts while Redis is unavailable. @default 1000 */
  probeIntervalMs?: number
  /** Longest wait for the first connection (a TLS handshake takes a few round trips). @default 10 × timeoutMs */
  connectTimeoutMs?: number
}

type Client = Redis & Record<string, (...args: (string | number)[]) => Promise<unknown>>

/**
 * One client per instance, made on first use. `run` answers `undefined` whenever Redis cannot answer in
 * time, so that the caller falls back without waiting.
 * @example const reply = await connection.run((client) => client.ping())
 */
export class RedisConnection {
  readonly #options: Required<RedisConnectionOptions>
  #client: Promise<Client | undefined> | undefined
  #available = true
  #probe: NodeJS.Timeout | undefined
  #closed = false
  readonly #defined = new Set<string>()

  constructor(options: RedisConnectionOptions) {
    this.#options = {
      probeIntervalMs: 1_000,
      connectTimeoutMs: options.timeoutMs * 10,
      ...options,
    }
    for (const secret of urlSecrets(options.url)) options.logger.addSecret(secret)
  }

  /** False during an outage: callers should use their fallback without trying Redis. */
  get available(): boolean {
    return this.#available
  }

  /**
   * Runs `command` on the client, or answers `undefined` at once during an outage, and `undefined` when
   * it fails or takes longer than `REDIS_TIMEOUT_MS` (which opens an outage).
   */
  async run<T>(command: (client: Client) => Promise<T>): Promise<T | undefined> {
    if (!this.#available || this.#closed) return undefined
    const client = await this.#connect()
    if (!client || !this.#available) return undefined
    try {
      return await command(client)
    } catch (error) {
      this.#outage(error)
      return undefined
    }
  }

  /**
   * Runs a Lua script (by SHA, sent whole only when Redis does not know it yet); `undefined` as for `run`.
   * @example await connection.runScript(SLOT_SCRIPT, ['{iot-pub}:quota'], [limitQps])
   */
  runScript(script: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.run((client) => {
      if (!this.#defined.has(script.name)) {
        client.defineCommand(script.name, { lua: script.lua, numberOfKeys: script.numberOfKeys })
        this.#defined.add(script.name)
      }
      return (client[script.name] as (...all: (string | number)[]) => Promise<unknown>)(...keys, ...args)
    })
  }

  /** Closes the client and stops the background probe. */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#probe)
    const client = await this.#client
    client?.disconnect()
  }

  // The first caller starts the connection and everyone waits for it, up to the connect timeout.
  #connect(): Promise<Client | undefined> {
    this.#client ??= this.#open()
    return this.#client
  }

  async #open(): Promise<Client | undefined> {
    let client: Client
    try {
      const loaded = await import('ioredis')
      // Node's import() of the bundle's CommonJS ioredis.js gives module.exports as `default`.
      const Redis = loaded.Redis ?? (loaded.default as unknown as typeof loaded).Redis
      client = new Redis(this.#options.url, this.#clientOptions()) as Client
    } catch (error) {
      // No client (ioredis.js missing from the deployment, say) is an outage like any other; the
      // background probe builds one again.
      this.#client = undefined
      this.#outage(error)
      return undefined
    }
    // Connection errors arrive as events (and again on each reconnect attempt): only the first counts.
    client.on('error', (error: unknown) => this.#outage(error))
    client.on('end', () => this.#outage(new Error('Redis connection closed')))
    try {
      await client.connect()
    } catch (error) {
      this.#outage(error)
    }
    return client
  }

  #clientOptions(): RedisOptions {
    return {
      lazyConnect: true,
      commandTimeout: this.#options.timeoutMs,
      connectTimeout: this.#options.connectTimeoutMs,
      // A command is refused at once while disconnected, never queued: the caller falls back instead.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Reconnects in the background for as long as the instance lives, at most once a second.
      retryStrategy: (attempt: number) => (this.#closed ? null : Math.min(attempt * 100, 1_000)),
      // A connection lost mid-outage must not print ioredis' own warnings with the server address.
      showFriendlyErrorStack: false,
    }
  }

  // One log line per outage: later failures while it lasts say nothing.
  #outage(error: unknown): void {
    if (!this.#available || this.#closed) return
    this.#available = false
    this.#options.logger.warn('redis unavailable: per-instance fallback until it answers', {
      error: describeError(error),
      timeoutMs: this.#options.timeoutMs,
    })
    this.#scheduleProbe()
  }

  #scheduleProbe(): void {
    this.#probe = setTimeout(() => void this.#tryAgain(), this.#options.probeIntervalMs)
    // A probe must never keep an instance (or a test) alive.
    this.#probe.unref()
  }

  async #tryAgain(): Promise<void> {
    if (this.#closed) return
    const client = await this.#connect()
    const answered = await client?.ping().then(
      () => true,
      () => false,
    )
    if (this.#closed) return
    if (!answered) {
      this.#scheduleProbe()
      return
    }
    this.#available = true
    this.#options.logger.info('redis available again')
  }
}

let shared: RedisConnection | undefined

/**
 * The instance's one connection, made on first use, or `undefined` when `REDIS_URL` is unset; every
 * concern keeping fleet-wide state (rate limit, idempotency) shares it.
 * @example const connection = instanceRedisConnection(context.config, logger)
 */
export function instanceRedisConnection(
  config: Pick<GatewayConfig, 'redisUrl' | 'redisTimeoutMs'>,
  logger: Logger,
): RedisConnection | undefined {
  if (config.redisUrl === undefined) return undefined
  shared ??= new RedisConnection({ url: config.redisUrl, timeoutMs: config.redisTimeoutMs, logger })
  return shared
}

/** The forms in which the URL's password could appear in text: as written, decoded, and the whole URL. */
export function urlSecrets(url: string): string[] {
  const secrets = [url]
  try {
    const { password } = new URL(url)
    if (password) secrets.push(password, decodeURIComponent(password))
  } catch {
    // An unparsable URL is refused by loadConfig; the whole value is still kept secret here.
  }
  return secrets
}
