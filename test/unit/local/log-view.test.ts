import { describe, expect, it } from 'vitest'
import { formatLogLine, installLogView, isShown } from '../../../dev/local/log-view.js'

const line = (fields: object) =>
  JSON.stringify({ level: 'info', time: Date.UTC(2026, 0, 2, 3, 4, 5, 678), msg: 'published', ...fields })

// A stand-in for standard output that records what reaches it.
function aStream(isTTY: boolean) {
  const written: string[] = []
  const stream = {
    isTTY,
    hasColors: () => isTTY,
    write: (chunk: string) => written.push(chunk) > 0,
  } as unknown as NodeJS.WriteStream
  return { stream, written }
}

describe('formatLogLine', () => {
  it('shows time, level and message first, then the details as key=value', () => {
    // Act
    const shown = formatLogLine(line({ trigger: 'http', messageIds: ['1', '2'], latencyMs: 3 }), false)

    // Assess
    expect(shown).toBe('03:04:05.678 INFO  published trigger=http messageIds=["1","2"] latencyMs=3')
  })

  it('leaves a line that is not a JSON object as it is', () => {
    // Assess
    expect(formatLogLine('plain text', false)).toBe('plain text')
    expect(formatLogLine('{not json', false)).toBe('{not json')
    expect(formatLogLine('[1,2]', false)).toBe('[1,2]')
  })
})

describe('isShown', () => {
  it.each([
    ['info', 'info', true],
    ['warn', 'info', true],
    ['info', 'warn', false],
    ['error', 'warn', true],
    ['info', 'error', false],
  ] as const)('shows a %s line at LOG_LEVEL=%s: %s', (level, least, shown) => {
    // Assess
    expect(isShown(JSON.stringify({ level, msg: 'm' }), least)).toBe(shown)
  })

  it('keeps lines that are not JSON whatever the level', () => {
    // Assess
    expect(isShown('not json', 'error')).toBe(true)
  })
})

describe('installLogView', () => {
  it('writes readable lines in pretty format, and filters by level', () => {
    // Prepare
    const { stream, written } = aStream(false)
    const remove = installLogView({ logFormat: 'pretty', logLevel: 'warn' }, stream)

    // Act
    stream.write(`${line({})}\n`)
    stream.write(`${line({ level: 'error', msg: 'failed', code: 'X' })}\n`)
    remove()
    stream.write(`${line({})}\n`)

    // Assess
    expect(written).toEqual(['03:04:05.678 ERROR failed code=X\n', `${line({})}\n`])
  })

  it('writes the function’s JSON lines unchanged in json format', () => {
    // Prepare
    const { stream, written } = aStream(true)
    installLogView({ logFormat: 'json', logLevel: 'info' }, stream)

    // Act
    stream.write(Buffer.from(`${line({ a: 1 })}\n`))

    // Assess
    expect(written).toEqual([`${line({ a: 1 })}\n`])
  })
})
