/**
 * Structured JSON log lines, one per call, passed through a redaction layer: keys that hold
 * credentials are masked, and known secret values or signed query fragments are scrubbed from text.
 */

type Fields = Record<string, unknown>
type Level = 'info' | 'warn' | 'error'

/** Writes one redacted JSON line per call. */
export interface Logger {
  info(message: string, fields?: Fields): void
  warn(message: string, fields?: Fields): void
  error(message: string, fields?: Fields): void
  /** Registers a value that must never appear in a line, such as this invocation's access key secret. */
  addSecret(value: string | undefined): void
}

const REDACTED = '[redacted]'
const SECRET_KEY = /secret|token|signature|password|authorization|api[-_]?key|credential/i
const SECRET_TEXT = [
  /\b(Signature|SecurityToken|AccessKeySecret|AccessKeyId)=[^&\s"']+/g,
  /\b(Bearer|FC)\s+[^\s"',]+/g,
  // pop-core appends the request URL to its messages; with GET it would carry the signed query.
  /\b(URL:)\s*\S+/g,
]

/**
 * A logger writing to `sink` (standard output by default, which FC collects).
 * @example const log = createLogger(); log.info('published', { messageId })
 */
export function createLogger(
  sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const secrets = new Set<string>()
  const scrub = (text: string): string => {
    let clean = text
    for (const secret of secrets) clean = clean.replaceAll(secret, REDACTED)
    for (const pattern of SECRET_TEXT) clean = clean.replace(pattern, `$1 ${REDACTED}`)
    return clean
  }
  const redact = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return scrub(value)
    if (typeof value !== 'object' || value === null) return value
    if (depth > 6) return '[nested]'
    if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1))
    const out: Fields = {}
    for (const [key, item] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1)
    }
    return out
  }
  const write = (level: Level, message: string, fields: Fields = {}) => {
    sink(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        msg: scrub(message),
        ...(redact(fields, 0) as Fields),
      }),
    )
  }
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    addSecret(value) {
      // Short values would scrub ordinary words; real keys and tokens are long.
      if (value && value.length >= 8) secrets.add(value)
    },
  }
}

/**
 * What may be logged of an error: its name, code and message, its stack, and the same of its cause
 * chain, all passing through the logger's redaction.
 */
export function describeError(error: unknown, depth = 0): Fields {
  if (typeof error !== 'object' || error === null) return { value: String(error) }
  const { name, code, message, stack, cause } = error as Fields
  const described: Fields = { name, code, message, stack }
  if (cause !== undefined && depth < 3) described.cause = describeError(cause, depth + 1)
  return described
}
