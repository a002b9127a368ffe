/**
 * A real `redis-server` (Debian's package) for tests and benchmarks: on a free loopback port, persistence
 * off, started and stopped by the caller, never assumed to be running already. Tests may kill it mid-run
 * and start it again on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

/** Where Debian installs the server; `.ci/run` installs the package when it is missing. */
export const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server'

/** A running server. */
export interface RedisServer {
  /** `redis://` URL, with the password when one was set. */
  url: string
  port: number
  /** Kills the server at once (SIGKILL), as a crash or a lost node would. */
  kill(): Promise<void>
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>
  /** Stops it for good; safe to call twice. */
  stop(): Promise<void>
}

/** Options of `startRedisServer`. */
export interface RedisServerOptions {
  /** Makes the server require this password (`requirepass`). */
  password?: string
}

/**
 * Starts a server and waits until it accepts connections.
 * @example const redis = await startRedisServer(); afterAll(() => redis.stop())
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined = await launch(port, options.password)
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : ''
  const kill = async () => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    running.kill('SIGKILL')
    await once(running, 'exit')
  }
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    kill,
    stop: kill,
    restart: async () => {
      await kill()
      child = await launch(port, options.password)
    },
  }
}

async function launch(port: number, password: string | undefined): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  if (password) args.push('--requirepass', password)
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  await new Promise<void>((ready, fail) => {
    child.once('error', fail)
    child.once('exit', (code) => fail(new Error(`redis-server exited (${code}): ${output}`)))
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) ready()
    })
  })
  child.removeAllListeners('exit')
  // A test that fails before its stop() must not leave a server behind when its process ends.
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  child.once('exit', () => process.removeListener('exit', killOnExit))
  // Keeps draining its output, so that a chatty server never blocks on a full pipe.
  child.stdout?.resume()
  child.stderr?.resume()
  return child
}

// A port the system just handed out on loopback, released for the server to take.
async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (typeof address !== 'object' || address === null) throw new Error('no free port')
  return address.port
}
