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
// Signed query fragments (with `=` plain or percent-encoded once or twice, as POP quotes them), bearer
// and FC authorizations, POP's "server string to sign is: …" (the whole signed query), and the request
// URL pop-core appends to its messages (with GET it would carry the signed query), in one pass.
const SECRET_TEXT =
  /\b(Signature|SecurityToken|AccessKeySecret|AccessKeyId)(=|%3[Dd]|%253[Dd])(?:(?!&|%26|%2526)[^\s"'])+|\b(Bearer|FC)\s+[^\s"',]+|\b(URL:|string to sign is:?)\s*\S+/g
// No secret or signed fragment fits in fewer characters than this.
const SHORTEST_SECRET = 6
// In serialised JSON, what any SECRET_KEY match or SECRET_TEXT match leaves (the latter's literal start,
// its whitespace possibly escaped), in one case-insensitive scan.
const MASKING_HINT = new RegExp(
  `${SECRET_KEY.source}|AccessKeyId(?:=|%)|URL:|string to sign|(?:Bearer|FC)[\\s\\\\]`,
  'i',
)
// Characters JSON.stringify copies unchanged: a secret made of them appears verbatim in a line holding it.
const VERBATIM = /^[ !#-[\]-~]*$/

/**
 * A logger writing to `sink` (standard output by default, which FC collects).
 * @example const log = createLogger(); log.info('published', { messageId })
 */
export function createLogger(
  sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const redaction = new Redaction()
  const write = (level: Level, message: string, fields: Fields = {}) => {
    // Epoch milliseconds, as pino writes them: formatting an ISO date is a sizeable share of a line's cost.
    sink(redaction.json({ level, time: Date.now(), msg: message, ...fields }))
  }
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    addSecret: (value) => redaction.addSecret(value),
  }
}

/**
 * The secret values known so far, and JSON serialisation with them and every credential masked.
 * @example const redaction = new Redaction(); redaction.addSecret(secret); redaction.json({ detail })
 */
export class Redaction {
  readonly #secrets = new Set<string>()
  // Whether every secret shows unchanged in JSON text, so that a plain line can be searched for it.
  #allVerbatim = true

  addSecret(value: string | undefined): void {
    // Short values would scrub ordinary words; real keys and tokens are long.
    if (!value || value.length < 8 || this.#secrets.has(value)) return
    for (const spelling of spellings(value)) {
      this.#secrets.add(spelling)
      this.#allVerbatim &&= VERBATIM.test(spelling)
    }
  }

  /**
   * `entry` as JSON with credentials masked. It is serialised plainly first, and through the slower
   * `replacer` only when the plain line could hold something to mask (most lines cannot).
   */
  json(entry: object): string {
    const plain = JSON.stringify(entry)
    return this.#mayHoldSecrets(plain) ? JSON.stringify(entry, this.replacer) : plain
  }

  /** Masks whole any field named like a secret; scrubs text of the secret values and signed fragments. */
  readonly replacer = (key: string, value: unknown): unknown => {
    if (SECRET_KEY.test(key)) return REDACTED
    return typeof value === 'string' ? this.#scrub(value) : value
  }

  #scrub(text: string): string {
    if (text.length < SHORTEST_SECRET) return text
    let clean = text
    for (const secret of this.#secrets) if (clean.includes(secret)) clean = clean.replaceAll(secret, REDACTED)
    return clean.replace(SECRET_TEXT, (_, name = '', equals = '', scheme = '', quoted = '') =>
      name ? `${name}${equals}${REDACTED}` : `${scheme || quoted} ${REDACTED}`,
    )
  }

  // False only when `replacer` would change nothing: every key and text it acts on shows in `line`.
  #mayHoldSecrets(line: string): boolean {
    if (!this.#allVerbatim || MASKING_HINT.test(line)) return true
    for (const secret of this.#secrets) if (line.includes(secret)) return true
    return false
  }
}

/**
 * Every way a secret may be written where it travels: as it is, percent-encoded once (a query) and
 * twice (POP's string to sign), with upper- or lower-case hex, and form-decoded (`+` read as a space).
 * An STS token is base64, whose `+`, `/` and `=` change with each encoding.
 */
function spellings(secret: string): Set<string> {
  // Text with a lone surrogate cannot be percent-encoded, so it travels only as it is.
  if (!isWellFormed(secret)) return new Set([secret])
  const once = percentEncode(secret)
  const twice = percentEncode(once)
  return new Set([
    secret,
    once,
    twice,
    encodeURIComponent(secret),
    lowerHex(once),
    lowerHex(twice),
    secret.replaceAll('+', ' '),
  ])
}

// RFC 3986, as the RPC signature encodes: encodeURIComponent leaves !'()* as they are.
function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

function isWellFormed(text: string): boolean {
  return !/\p{Surrogate}/u.test(text)
}

function lowerHex(encoded: string): string {
  return encoded.replace(/%[0-9A-F]{2}/g, (sequence) => sequence.toLowerCase())
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
