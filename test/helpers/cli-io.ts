/** What the iot-pub CLI is given to read and write in tests, with what it wrote kept. */
import type { CliIo } from '../../client/cli.js'

/** Lines the CLI wrote to standard output and error, and the io that collects them. */
export function captureCliIo(env: Record<string, string> = {}, stdin = '') {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), stdin: () => stdin, env }
  return { out, err, io }
}
