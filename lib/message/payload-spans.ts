/**
 * Finds where each `payload` member's value lies in a JSON text, without building anything: the
 * gateway forwards those spans' numbers as written. One scan over the text's structural characters;
 * inside a payload only brackets and strings are looked at.
 */

/** Where a `payload` value lies in the text, by the path of the object that holds it. */
export interface PayloadSpan {
  /** Keys and indices from the root to the object holding `payload`. */
  path: (string | number)[]
  start: number
  end: number
}

// The next character that changes the structure: a bracket, a separator or the start of a string.
const STRUCTURE = /[{}[\],:"]/g
// Inside a payload, only brackets and strings matter (numbers and separators are skipped natively).
const NESTING = /[{}[\]"]/g
const STRING = /"[^"\\]*(?:\\.[^"\\]*)*"/y
const SCALAR = /[^,}\]\s]*/y
const SPACE = /\s*/y

interface Level {
  object: boolean
  key?: string
  index: number
}

/**
 * The spans of every `payload` member of a valid JSON text; for a repeated key the last comes last.
 * @example payloadSpans('{"payload": [1.0]}') // [{ path: [], start: 12, end: 17 }]
 */
export function payloadSpans(text: string): PayloadSpan[] {
  const spans: PayloadSpan[] = []
  const stack: Level[] = []
  let lastString = ''
  STRUCTURE.lastIndex = 0
  for (let match = STRUCTURE.exec(text); match !== null; match = STRUCTURE.exec(text)) {
    const at = match.index
    const top = stack.at(-1)
    switch (text.charCodeAt(at)) {
      case 0x22: // "
        lastString = readString(text, at)
        STRUCTURE.lastIndex = STRING.lastIndex
        break
      case 0x3a: // :
        if (top === undefined) break
        top.key = lastString
        if (lastString === 'payload') {
          const start = skip(SPACE, text, at + 1)
          const end = valueEnd(text, start)
          // Each level's current key or index leads to the next; the top is the object holding payload.
          spans.push({ path: stack.slice(0, -1).map(pathStep), start, end })
          STRUCTURE.lastIndex = end
        }
        break
      case 0x2c: // ,
        if (top !== undefined && !top.object) top.index += 1
        break
      case 0x7b: // {
      case 0x5b: // [
        stack.push({ object: text.charCodeAt(at) === 0x7b, index: 0 })
        break
      default: // } or ]
        stack.pop()
    }
  }
  return spans
}

function pathStep(level: Level): string | number {
  return level.object ? (level.key ?? '') : level.index
}

// A string's value; most have no escape and are taken as they are.
function readString(text: string, at: number): string {
  STRING.lastIndex = at
  STRING.exec(text)
  const token = text.slice(at, STRING.lastIndex)
  return token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1)
}

function skip(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at
  pattern.exec(text)
  return pattern.lastIndex
}

// The end of the value that starts at `start`: a balanced object or array, a string, or a scalar.
function valueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start)
  if (first === 0x22) return skip(STRING, text, start)
  if (first !== 0x7b && first !== 0x5b) return skip(SCALAR, text, start)
  let depth = 0
  NESTING.lastIndex = start
  for (let match = NESTING.exec(text); match !== null; match = NESTING.exec(text)) {
    const character = text.charCodeAt(match.index)
    if (character === 0x22) NESTING.lastIndex = skip(STRING, text, match.index)
    else if (character === 0x7b || character === 0x5b) depth += 1
    else if (--depth === 0) return NESTING.lastIndex
  }
  return text.length
}
