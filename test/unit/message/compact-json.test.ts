import fc from 'fast-check'
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json'
import { describe, expect, it } from 'vitest'
import { compactPayload } from '../../../lib/message/compact-json.js'
import { tryParseJson } from '../../../lib/triggers/json.js'
import { jsonPayloadText, numberToken } from '../../helpers/json-text.js'

// A message parsed from text the way the gateway parses every request.
function parsed(text: string): { payload?: unknown; messages?: { payload?: unknown }[] } {
  const result = tryParseJson(Buffer.from(text), 'The test text')
  if (!result.ok) throw result.error
  return result.value as { payload?: unknown }
}

describe('compactPayload', () => {
  it.each([
    ['an integer over 2^64', '12345678901234567890'],
    ['a nanosecond timestamp', '1732520940123456789'],
    ['a fraction longer than a double holds', '0.1234567890123456789012345'],
    ['an exponent past a double’s range', '1e400'],
    ['an exponent below a double’s range', '1e-400'],
    ['a trailing zero', '1.50'],
    ['an upper-case exponent', '1E5'],
    ['a minus zero', '-0'],
    ['a minus zero fraction', '-0.0'],
    ['an integer JavaScript would print with an exponent', '100000000000000000000000'],
  ])('keeps %s as the caller wrote it', (_, number) => {
    // Prepare
    const message = parsed(`{"payload": {"value": ${number}, "list": [${number}]}}`)

    // Act + Assess
    expect(compactPayload(message)).toBe(`{"value":${number},"list":[${number}]}`)
  })

  it('keeps a number that is the whole payload', () => {
    // Act + Assess
    expect(compactPayload(parsed('{"payload": 12345678901234567890}'))).toBe('12345678901234567890')
  })

  it('keeps the numbers of every message of a batch', () => {
    // Prepare
    const body = parsed('{"messages": [{"payload": [1.0]}, {"payload": 2}, {"payload": {"n": 3e0}}]}')

    // Act + Assess
    expect(body.messages?.map(compactPayload)).toEqual(['[1.0]', '2', '{"n":3e0}'])
  })

  it('leaves text that looks like a number inside strings alone', () => {
    // Act + Assess
    expect(
      compactPayload(parsed('{"payload": {"at": "2026-01-01T00:00:00.50Z", "n": 1.0, "s": "1.0"}}')),
    ).toBe('{"at":"2026-01-01T00:00:00.50Z","n":1.0,"s":"1.0"}')
  })

  it('writes JSON.stringify’s text when no number would change', () => {
    // Prepare: fractions and dates send the text to the exact check, which finds nothing to keep
    const message = parsed(
      '{"payload": {"t": 21.5, "at": "2026-11-25T07:49:00.000Z", "n": -3, "big": 9007199254740991}}',
    )

    // Act + Assess
    expect(compactPayload(message)).toBe(JSON.stringify(message.payload))
  })

  it.each([
    ['removes whitespace between tokens', '{ "a" :\n [ 1.0 ,\t2 ] }', '{"a":[1.0,2]}'],
    ['writes escapes as JSON.stringify does', '{"s": "\\u0041\\/\\u00e9", "n": 1.0}', '{"s":"A/é","n":1.0}'],
    [
      'keeps the last of repeated keys, at the first one’s place',
      '{"a": 1.0, "b": 2, "a": 2.50}',
      '{"a":2.50,"b":2}',
    ],
    [
      'puts integer-like keys first, in ascending order',
      '{"b": 1.0, "2": 0, "1": 0}',
      '{"1":0,"2":0,"b":1.0}',
    ],
  ])('%s', (_, payload, compact) => {
    // Act + Assess
    expect(compactPayload(parsed(`{"payload": ${payload}}`))).toBe(compact)
  })

  it('keeps the numbers when the text is nested deeply outside the payload', () => {
    // Prepare: lossless-json's parser recurses; only the payload's own text is given to it
    const message = parsed(`{"payload": 1.0, "other": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`)

    // Act + Assess
    expect(compactPayload(message)).toBe('1.0')
  })

  it.each([
    ['the last of repeated payload keys', '{"payload": 1.0, "payload": 2}', '2'],
    [
      'the payload of the last of repeated messages arrays',
      '{"messages": [{"payload": 1.0}], "messages": [{"payload": 2}]}',
      '2',
    ],
  ])('writes %s, as JSON.parse kept it', (_, text, compact) => {
    // Prepare
    const body = parsed(text)
    const message = body.messages?.[0] ?? body

    // Act + Assess
    expect(compactPayload(message)).toBe(compact)
  })

  it('finds a payload key written with escapes', () => {
    // Act + Assess
    expect(compactPayload(parsed('{"pay\\u006coad": [1.0]}'))).toBe('[1.0]')
  })

  it('gives back any JSON payload exactly, compacted', () => {
    fc.assert(
      fc.property(jsonPayloadText, ({ text, compact }) => {
        // Act + Assess
        expect(compactPayload(parsed(`{"payload": ${text}}`))).toBe(compact)
      }),
      { numRuns: 1_000 },
    )
  })

  it('gives back any number token exactly', () => {
    fc.assert(
      fc.property(numberToken, (number) => {
        // Act + Assess
        expect(compactPayload(parsed(`{"payload": [${number}]}`))).toBe(`[${number}]`)
      }),
      { numRuns: 2_000 },
    )
  })
})

// A JSON document as written: objects may repeat keys and spell them with escapes, so that the text
// and what JSON.parse made of it can differ in every way a hand-written scanner could get wrong.
type Written = { object: [string, Written][] } | { array: Written[] } | { token: string } | { text: string }
const writtenKey = fc.constantFrom(
  'payload',
  'payload',
  'messages',
  'data',
  'value',
  '0',
  'a',
  'é',
  '"',
  'x\\y',
)
const written: fc.Arbitrary<Written> = fc.letrec<{ node: Written }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(numberToken, fc.constantFrom('true', 'null', '7')).map((token) => ({ token })),
    fc.constantFrom('payload', 'a"}]', 'x:1,', '12345678901234567890', '\u2028').map((text) => ({ text })),
    fc.array(fc.tuple(writtenKey, tie('node')), { maxLength: 5 }).map((object) => ({ object })),
    fc.array(tie('node'), { maxLength: 4 }).map((array) => ({ array })),
  ),
})).node

// Writes a string with some characters as \u escapes (`pay\u006coad`), chosen by `escapes`.
function quoted(text: string, escapes: boolean[]): string {
  let at = 0
  const characters = [...text].map((character) => {
    const asEscape = escapes[at++ % escapes.length] || character === '"' || character === '\\'
    return asEscape ? `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}` : character
  })
  return `"${characters.join('')}"`
}

function write(node: Written, space: string, escapes: boolean[]): string {
  if ('token' in node) return node.token
  if ('text' in node) return quoted(node.text, escapes)
  const join = `${space},${space}`
  if ('array' in node)
    return `[${space}${node.array.map((item) => write(item, space, escapes)).join(join)}${space}]`
  const members = node.object.map(
    ([key, value]) => `${quoted(key, escapes)}${space}:${space}${write(value, space, escapes)}`,
  )
  return `{${space}${members.join(join)}${space}}`
}

describe('compactPayload on any document', () => {
  it('sends every message exactly the value validation saw, its numbers as written', () => {
    fc.assert(
      fc.property(
        written,
        fc.constantFrom('', ' ', '\n\t'),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        (document, space, escapes) => {
          // Prepare: the oracle parses the whole text without losing a digit, the last repeated key winning
          const text = write(document, space, escapes)
          const message = parsed(text) as unknown
          const exact = parseLossless(text, undefined, { onDuplicateKey: ({ newValue }) => newValue })

          // Act + Assess: every object holding a payload, outside any payload, as a message would
          const walk = (value: unknown, oracle: unknown): void => {
            if (typeof value !== 'object' || value === null) return
            const holder = value as Record<string, unknown>
            const twin = oracle as Record<string, unknown>
            if (!Array.isArray(value) && Object.hasOwn(holder, 'payload')) {
              const sent = compactPayload(holder)
              expect(sent).toBe(stringifyLossless(twin.payload))
              expect(JSON.stringify(JSON.parse(sent))).toBe(JSON.stringify(holder.payload))
            }
            for (const key of Object.keys(holder)) if (key !== 'payload') walk(holder[key], twin[key])
          }
          walk(message, exact)
        },
      ),
      { numRuns: 500 },
    )
  })
})
