/**
 * Where `npm start` listens, so that the CLI finds the local runner without flags: port `PORT` from the
 * shell, else from the `.env` file the runner also reads, else 9000.
 */
import { existsSync, readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'

/** The local runner's port when neither the shell nor `.env` sets PORT. */
export const DEFAULT_LOCAL_PORT = 9000

/** The variables of a `.env` file, or none when there is no such file. */
export function readDotEnvFile(path = '.env'): Record<string, string> {
  return existsSync(path) ? (parseEnv(readFileSync(path, 'utf8')) as Record<string, string>) : {}
}

/**
 * The local runner's port: the shell's PORT over `.env`'s, as for every other setting.
 * @throws TypeError when PORT is not a port number
 * @example localPort(process.env, readDotEnvFile()) // 9000
 */
export function localPort(shell: Record<string, string | undefined>, dotEnv: Record<string, string>): number {
  const text = shell.PORT || dotEnv.PORT
  if (text === undefined || text === '') return DEFAULT_LOCAL_PORT
  const port = Number(text)
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new TypeError(`PORT is not a port number: "${text}"`)
  return port
}
