/**
 * Arbitrary JSON text as a caller may write it: numbers of any length and form (big integers, long
 * fractions, exponents, minus zero), whitespace between tokens, and the same text compacted, which is
 * what the device must receive.
 */
import fc from 'fast-check'

/** A JSON text and its compact form: the same tokens without whitespace. */
export interface JsonText {
  text: string
  compact: string
}

const whitespace = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n  ')
const digits = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength })

/** A JSON number token, often one that a double cannot give back as written. */
export const numberToken: fc.Arbitrary<string> = fc
  .record({
    sign: fc.constantFrom('', '', '-'),
    integer: fc.oneof(
      fc.constant('0'),
      fc.tuple(fc.constantFrom(...'123456789'), digits(0, 40)).map(([first, rest]) => first + rest),
    ),
    fraction: fc.option(digits(1, 40), { nil: '' }).map((fraction) => (fraction ? `.${fraction}` : '')),
    exponent: fc
      .option(
        fc
          .tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 4))
          .map((parts) => parts.join('')),
        { nil: '' },
      )
      .map((exponent) => exponent ?? ''),
  })
  .map(({ sign, integer, fraction, exponent }) => `${sign}${integer}${fraction}${exponent}`)

// Strings as JSON.stringify writes them (well-formed text), so that their compact form is themselves.
const stringToken = fc.string({ unit: 'grapheme', maxLength: 12 }).map((text) => JSON.stringify(text))
// Keys that JavaScript keeps in the order written: never integer-like, never a reserved name.
const key = fc.string({ unit: 'grapheme', maxLength: 8 }).map((text) => JSON.stringify(`k${text}`))

const both = (token: string): JsonText => ({ text: token, compact: token })

/** Any JSON value as text; `maxDepth` bounds nesting. */
export function jsonText(maxDepth = 3): fc.Arbitrary<JsonText> {
  const { value } = fc.letrec<{ value: JsonText }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth },
      numberToken.map(both),
      stringToken.map(both),
      fc.constantFrom('true', 'false', 'null').map(both),
      fc.array(fc.tuple(whitespace, tie('value'), whitespace), { maxLength: 4 }).map((items) => ({
        text: `[${items.map(([before, item, after]) => before + item.text + after).join(',')}]`,
        compact: `[${items.map(([, item]) => item.compact).join(',')}]`,
      })),
      fc
        .uniqueArray(fc.tuple(key, whitespace, tie('value')), { maxLength: 4, selector: ([name]) => name })
        .map((members) => ({
          text: `{${members.map(([name, space, item]) => `${space}${name}${space}:${item.text}`).join(',')}}`,
          compact: `{${members.map(([name, , item]) => `${name}:${item.compact}`).join(',')}}`,
        })),
    ),
  }))
  return value
}

/** A JSON payload that is not a string (a string payload is sent as its own UTF-8 bytes, not as JSON). */
export const jsonPayloadText: fc.Arbitrary<JsonText> = jsonText().filter(
  ({ compact }) => !compact.startsWith('"'),
)
