/**
 * How `npm start` shows the function's log lines: as the function writes them (one JSON object per
 * line, as on FC) or, for a person at a terminal, as short readable lines; either way only those at
 * `LOG_LEVEL` or above. Lives in `dev/`: the deployed function always writes JSON.
 */
import { styleText } from 'node:util'
import { LOG_LEVELS, type LocalSettings, type LogLevel } from './local-settings.js'

type Style = Parameters<typeof styleText>[0]
const LEVEL_STYLE: Record<string, Style> = { debug: 'gray', info: 'green', warn: 'yellow', error: 'red' }
// Fields every line has, shown in the line's head rather than among the details.
const HEAD = new Set(['level', 'time', 'msg'])

/**
 * A readable rendering of one JSON log line: time, level, message, then `key=value` details.
 * A line that is not a JSON object is returned unchanged.
 * @param color - whether to colour the level (on a TTY)
 * @example formatLogLine('{"level":"info","time":0,"msg":"published","messageCount":1}', false)
 */
export function formatLogLine(line: string, color: boolean): string {
  const entry = parseEntry(line)
  if (!entry) return line
  const level = String(entry.level ?? 'info')
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : ''
  const details = Object.entries(entry)
    .filter(([key]) => !HEAD.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
  const tag = level.toUpperCase().padEnd(5)
  return [
    time,
    color ? styleText(LEVEL_STYLE[level] ?? 'white', tag) : tag,
    String(entry.msg ?? ''),
    ...details,
  ]
    .filter(Boolean)
    .join(' ')
}

/**
 * Whether a line is shown at `least`: lines below it are left out; lines that are not JSON are kept.
 */
export function isShown(line: string, least: LogLevel): boolean {
  const level = parseEntry(line)?.level
  const rank = LOG_LEVELS.indexOf(level as LogLevel)
  return rank === -1 || rank >= LOG_LEVELS.indexOf(least)
}

/**
 * Puts the log view in front of `stream` (standard output, where the function writes its lines).
 * @returns a function that takes it away again
 */
export function installLogView(
  settings: Pick<LocalSettings, 'logFormat' | 'logLevel'>,
  stream: NodeJS.WriteStream = process.stdout,
): () => void {
  const write = stream.write.bind(stream)
  const color = stream.isTTY === true && stream.hasColors?.() === true
  const view = (text: string): string =>
    text
      .split('\n')
      .map((line, index, lines) => {
        if (index === lines.length - 1) return line
        if (!isShown(line, settings.logLevel)) return undefined
        return settings.logFormat === 'pretty' ? formatLogLine(line, color) : line
      })
      .filter((line) => line !== undefined)
      .join('\n')
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')
    const shown = view(text)
    return shown === '' ? true : (write as (...args: unknown[]) => boolean)(shown, ...rest)
  }) as typeof stream.write
  return () => {
    stream.write = write
  }
}

function parseEntry(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
