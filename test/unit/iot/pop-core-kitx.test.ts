import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as standIn from '../../../lib/iot/pop-core-kitx.js'

const require = createRequire(import.meta.url)
// The kitx pop-core itself installs, which the bundle replaces.
const kitx = require(require.resolve('kitx', { paths: [require.resolve('@alicloud/pop-core')] })) as {
  sha1(data: string, key: string, encoding: string): string
  pad2(value: number): string
}
const rpcSource = readFileSync(require.resolve('@alicloud/pop-core/lib/rpc.js'), 'utf8')

describe('the kitx pop-core signs with in the bundle', () => {
  it('offers every kitx helper the installed RPC client calls', () => {
    // Prepare
    const called = new Set(rpcSource.match(/(?<=\bkitx\.)\w+/g))

    // Assess
    expect([...called].sort()).toEqual(['makeNonce', 'pad2', 'sha1'])
    for (const name of called) expect(typeof (standIn as Record<string, unknown>)[name]).toBe('function')
  })

  it('signs as kitx does: the same HMAC-SHA1 for any text and key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ minLength: 1 }), (data, key) => {
        // Act + Assess
        expect(standIn.sha1(data, key, 'base64')).toBe(kitx.sha1(data, key, 'base64'))
      }),
      { numRuns: 500 },
    )
  })

  it('pads every timestamp field as kitx does', () => {
    for (let value = 0; value < 100; value++) {
      // Act + Assess
      expect(standIn.pad2(value)).toBe(kitx.pad2(value))
    }
  })

  it('never gives the same nonce twice, each a random UUID', () => {
    // Act
    const nonces = Array.from({ length: 10_000 }, () => standIn.makeNonce())

    // Assess
    expect(new Set(nonces).size).toBe(nonces.length)
    for (const nonce of nonces)
      expect(nonce).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})
