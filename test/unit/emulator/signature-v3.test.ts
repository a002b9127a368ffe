import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type Acs3Request,
  canonicalRequest,
  decodeQuery,
  headersToSign,
  parseAcs3Authorization,
  sha256Hex,
  signAcs3,
} from '../../../dev/iot-emulator/signature-v3.js'

function aRequest(overrides: Partial<Acs3Request> = {}): Acs3Request {
  const body = Buffer.from('MessageContent=aGk%3D')
  return {
    method: 'POST',
    path: '/',
    query: { TopicFullName: '/pk/d/user/get', ProductKey: 'pk', Qos: '0' },
    headers: {
      host: 'iot.cn-shanghai.aliyuncs.com',
      'content-type': 'application/x-www-form-urlencoded',
      'x-acs-action': 'Pub',
      'x-acs-version': '2018-01-20',
      'x-acs-date': '2026-12-01T10:00:00Z',
      'x-acs-signature-nonce': 'n-1',
      'x-acs-content-sha256': sha256Hex(body),
      'user-agent': 'not signed',
    },
    body,
    ...overrides,
  }
}

describe('canonicalRequest', () => {
  it('puts method, path, sorted encoded query, signed headers, their names and the payload hash on six lines', () => {
    // Prepare
    const request = aRequest({ query: { b: 'x y*', a: '/~' } })

    // Act
    const canonical = canonicalRequest(request, ['x-acs-date', 'host'])

    // Assess
    expect(canonical).toBe(
      [
        'POST',
        '/',
        'a=%2F~&b=x%20y%2A',
        'host:iot.cn-shanghai.aliyuncs.com\nx-acs-date:2026-12-01T10:00:00Z\n',
        'host;x-acs-date',
        sha256Hex(request.body),
      ].join('\n'),
    )
  })
})

describe('signAcs3', () => {
  const signed = headersToSign(aRequest().headers)

  it('signs host, content-type and every x-acs-* header, not the others', () => {
    // Assess
    expect(signed).toEqual([
      'content-type',
      'host',
      'x-acs-action',
      'x-acs-content-sha256',
      'x-acs-date',
      'x-acs-signature-nonce',
      'x-acs-version',
    ])
  })

  it('is 64 hex digits, keyed with the secret', () => {
    // Act
    const signature = signAcs3(aRequest(), signed, 'secret')

    // Assess
    expect(signature).toMatch(/^[0-9a-f]{64}$/)
    expect(signAcs3(aRequest(), signed, 'other')).not.toBe(signature)
  })

  it('changes with any signed header, query parameter or the payload hash', () => {
    const base = signAcs3(aRequest(), signed, 'secret')
    fc.assert(
      fc.property(
        fc.constantFrom(...signed),
        fc.string({ minLength: 1 }).filter((value) => value.trim() !== ''),
        (name, value) => {
          // Prepare
          const request = aRequest()
          fc.pre(request.headers[name]?.trim() !== value.trim())
          const tampered = { ...request, headers: { ...request.headers, [name]: value } }

          // Assess
          expect(signAcs3(tampered, signed, 'secret')).not.toBe(base)
        },
      ),
    )
    fc.assert(
      fc.property(fc.string(), (value) => {
        // Prepare
        fc.pre(value !== 'pk')
        const tampered = aRequest({ query: { ...aRequest().query, ProductKey: value } })

        // Assess
        expect(signAcs3(tampered, signed, 'secret')).not.toBe(base)
      }),
    )
  })

  it('ignores headers it does not sign', () => {
    // Prepare
    const request = aRequest()
    const other = { ...request, headers: { ...request.headers, 'user-agent': 'changed' } }

    // Assess
    expect(signAcs3(other, headersToSign(request.headers), 'secret')).toBe(
      signAcs3(request, headersToSign(request.headers), 'secret'),
    )
  })
})

describe('parseAcs3Authorization', () => {
  it('reads the key id, the signed headers and the signature', () => {
    // Act
    const parsed = parseAcs3Authorization(
      `ACS3-HMAC-SHA256 Credential=LTAIx,SignedHeaders=host;x-acs-date,Signature=${'a'.repeat(64)}`,
    )

    // Assess
    expect(parsed).toEqual({
      accessKeyId: 'LTAIx',
      signedHeaders: ['host', 'x-acs-date'],
      signature: 'a'.repeat(64),
    })
  })

  it.each([
    'ACS3-HMAC-SHA256 Credential=LTAIx,SignedHeaders=host',
    `ACS3-HMAC-SM3 Credential=LTAIx,SignedHeaders=host,Signature=${'a'.repeat(64)}`,
    `ACS3-HMAC-SHA256 Credential=LTAIx,SignedHeaders=host,Signature=${'A'.repeat(64)}`,
    'Bearer token',
  ])('refuses %s', (header) => {
    // Assess
    expect(parseAcs3Authorization(header)).toBeUndefined()
  })
})

describe('decodeQuery', () => {
  it('keeps + as a plus sign and decodes escapes', () => {
    // Assess
    expect(decodeQuery('?a=1+1&b=%20x&c')).toEqual({ a: '1+1', b: ' x', c: '' })
  })

  it('refuses a malformed escape', () => {
    // Assess
    expect(decodeQuery('?a=%E0%A4%A')).toBeUndefined()
  })
})
