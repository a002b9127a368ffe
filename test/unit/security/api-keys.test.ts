import { describe, expect, it } from 'vitest'
import { checkBearerKey } from '../../../lib/security/api-keys.js'

describe('checkBearerKey', () => {
  const keys = ['key-one-123456', 'key-two-abcdef']

  it.each([
    ['the first key', 'Bearer key-one-123456', 'accepted'],
    ['the second key', 'Bearer key-two-abcdef', 'accepted'],
    ['a lower-case scheme', 'bearer key-two-abcdef', 'accepted'],
    ['no header', undefined, 'missing'],
    ['an empty header', '', 'missing'],
    ['another scheme', 'Basic a2V5LW9uZQ==', 'missing'],
    ['a scheme without a key', 'Bearer ', 'missing'],
    ['a wrong key', 'Bearer key-three', 'invalid'],
    ['a prefix of a key', 'Bearer key-one', 'invalid'],
    ['a key with more after it', 'Bearer key-one-123456x', 'invalid'],
    ['two keys at once', 'Bearer key-one-123456 key-two-abcdef', 'missing'],
  ])('answers %s with %s', (_, header, expected) => {
    // Act + Assess
    expect(checkBearerKey(header, keys)).toBe(expected)
  })

  it('accepts nothing when no key is configured', () => {
    // Act + Assess
    expect(checkBearerKey('Bearer anything', [])).toBe('invalid')
  })
})
