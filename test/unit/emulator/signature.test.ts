import { describe, expect, it } from 'vitest'
import { percentEncode, signRpc } from '../../../dev/iot-emulator/signature.js'

describe('RPC signature v1', () => {
  it('reproduces the published DescribeRegions example', () => {
    // Prepare
    const parameters = {
      Timestamp: '2016-02-23T12:46:24Z',
      Format: 'XML',
      AccessKeyId: 'testid',
      Action: 'DescribeRegions',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      Version: '2014-05-26',
      SignatureVersion: '1.0',
    }

    // Act + Assess
    expect(signRpc('GET', parameters, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=')
  })

  it.each([
    [' ', '%20'],
    ['*', '%2A'],
    ['~', '~'],
    ["!'()", '%21%27%28%29'],
    ['a+b/c=', 'a%2Bb%2Fc%3D'],
    ['é', '%C3%A9'],
  ])('percent-encodes %j as %s', (input, encoded) => {
    // Act + Assess
    expect(percentEncode(input)).toBe(encoded)
  })
})
