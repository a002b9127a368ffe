import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encode } from '../../../lib/iot/pop-core-encode.js'

// pop-core's own `encode`, taken from the installed client's source: the one the bundle replaces.
const rpcPath = createRequire(import.meta.url).resolve('@alicloud/pop-core/lib/rpc.js')
const popCoreEncode = new Function(
  'require',
  'module',
  'exports',
  `${readFileSync(rpcPath, 'utf8')}\nreturn encode`,
)(createRequire(rpcPath), { exports: {} }, {}) as (text: string) => string

// Text rich in what either encoding treats specially: RFC 3986's reserved marks, '%', '~', non-ASCII.
const trickyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...`!'()*~%&=+/ -_.`),
    fc.constantFrom('é', '中', '😀'),
    fc.string({ minLength: 1, maxLength: 1 }),
  ),
})

describe('the percent-encoding pop-core signs with in the bundle', () => {
  it('gives the very text pop-core’s own encode gives', () => {
    fc.assert(
      fc.property(fc.oneof(trickyText, fc.string({ unit: 'grapheme' })), (text) => {
        // Act + Assess
        expect(encode(text)).toBe(popCoreEncode(text))
      }),
      { numRuns: 2_000 },
    )
  })

  it.each([
    ['a b', 'a%20b'],
    [`!'()*`, '%21%27%28%29%2A'],
    ['-_.~', '-_.~'],
    ['/a1Pk/dev/user/get', '%2Fa1Pk%2Fdev%2Fuser%2Fget'],
  ])('encodes %j as %j', (text, expected) => {
    // Act + Assess
    expect(encode(text)).toBe(expected)
  })
})
