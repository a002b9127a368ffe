/** Captures the structured log lines written to standard output while a test runs. */

const captured: Record<string, unknown>[] = []
// Every line of the test file, kept for the check that no secret was ever logged.
const everything: string[] = []
let installed = false

/** Diverts lines that look like the gateway's JSON logs into memory; other output passes through. */
export function installLogCapture(): void {
  if (installed) return
  installed = true
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : ''
    if (!text.startsWith('{"level":')) return (write as (...args: unknown[]) => boolean)(chunk, ...rest)
    for (const line of text.split('\n').filter(Boolean)) {
      everything.push(line)
      captured.push(JSON.parse(line))
    }
    return true
  }) as typeof process.stdout.write
}

/** The log lines captured since the last clear. */
export function capturedLogs(): readonly Record<string, unknown>[] {
  return captured
}

/** Forgets the captured lines. */
export function clearCapturedLogs(): void {
  captured.length = 0
}

/** Every log line the test file wrote so far, as text. */
export function allLogLines(): readonly string[] {
  return everything
}
