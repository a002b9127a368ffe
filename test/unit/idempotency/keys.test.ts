import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidRequestError } from '../../../lib/errors.js'
import {
  ACCOUNT_SCOPE,
  fingerprintOf,
  httpKeySources,
  messageIdentities,
  readHeaderKey,
} from '../../../lib/idempotency/keys.js'
import { readPublishRequest } from '../../../lib/message/publish-request.js'
import { aMessage, anHttpEvent } from '../../helpers/factories.js'

const settings = { maxPayloadBytes: 262_144, maxBatchSize: 100 }
const STORAGE_KEY = /^iot-pub:idempotency:[A-Za-z0-9_-]{43}$/

function identities(sources: Parameters<typeof messageIdentities>[0], body: unknown) {
  return messageIdentities(sources, body, readPublishRequest(body, settings))
}
const account = { scope: ACCOUNT_SCOPE }

describe('readHeaderKey', () => {
  it.each([
    ['order-42', 'order-42'],
    ['  order-42  ', 'order-42'],
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"say \\"hi\\" \\\\ bye"', 'say "hi" \\ bye'],
    ['x'.repeat(255), 'x'.repeat(255)],
  ])('reads %j as %j', (header, key) => {
    expect(readHeaderKey(header)).toBe(key)
  })

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['an empty quoted string', '""'],
    ['over 255 characters', 'x'.repeat(256)],
    ['a control character', 'order\u000042'],
    ['non-ASCII text', 'commande-été'],
  ])('refuses %s with a 400 naming the header', (_, header) => {
    expect(() => readHeaderKey(header)).toThrow(InvalidRequestError)
    expect(() => readHeaderKey(header)).toThrow(/Idempotency-Key header/)
  })
})

describe('messageIdentities', () => {
  it('gives a message without any key no identity', () => {
    expect(identities(account, aMessage())).toEqual([undefined])
  })

  it('hashes any key, however long or odd, into a store key of fixed length and alphabet, and never echoes it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ -~]{1,255}$/), (key) => {
        const [identity] = identities(account, aMessage({ idempotencyKey: key }))
        expect(identity?.storageKey).toMatch(STORAGE_KEY)
        // The caller's key is never repeated in answers
        expect(identity?.label).toBe('The idempotencyKey')
      }),
    )
  })

  it('keeps the same key of two callers, or of a header and a field, apart', () => {
    // Prepare
    const message = aMessage({ idempotencyKey: 'k' })

    // Act
    const keys = [
      identities({ scope: 'api-key:one' }, message)[0],
      identities({ scope: 'api-key:two' }, message)[0],
      identities({ scope: 'api-key:one', header: 'k' }, aMessage())[0],
    ].map((identity) => identity?.storageKey)

    // Assess
    expect(new Set(keys).size).toBe(3)
  })

  it('gives two spellings of one message one fingerprint, and a different message another', () => {
    // Prepare
    const spellings = [
      aMessage({ idempotencyKey: 'k', payload: 'hi' }),
      aMessage({
        idempotencyKey: 'k',
        deviceName: undefined,
        topic: undefined,
        topicFullName: '/a1Q5XoYtest/device1/user/get',
        payload: undefined,
        payloadBase64: Buffer.from('hi').toString('base64'),
        qos: 0,
      }),
    ].map((message) => JSON.parse(JSON.stringify(message)))
    const different = aMessage({ idempotencyKey: 'k', payload: 'ho' })

    // Act
    const [first, second, third] = [...spellings, different].map(
      (message) => identities(account, message)[0]?.fingerprint,
    )

    // Assess
    expect(first).toBe(second)
    expect(third).not.toBe(first)
  })

  it('gives messages the same fingerprint exactly when IoT would receive the same call', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.constantFrom(0, 1), (a, b, qos) => {
        // Payloads the gateway refuses (empty, or shaped like prototype pollution) have no fingerprint.
        const fingerprint = (payload: unknown) => {
          try {
            return identities(account, aMessage({ idempotencyKey: 'k', payload, qos }))[0]?.fingerprint
          } catch {
            return undefined
          }
        }
        const bytes = (payload: unknown) => (typeof payload === 'string' ? payload : JSON.stringify(payload))
        const [first, second] = [fingerprint(a), fingerprint(b)]
        fc.pre(first !== undefined && second !== undefined)
        expect(first === second).toBe(bytes(a) === bytes(b))
      }),
      { numRuns: 2000 },
    )
  })

  it('keys each message of a batch by the header and its position, fingerprinting the whole batch', () => {
    // Prepare
    const batch = { messages: [aMessage({ payload: 1 }), aMessage({ payload: 2 })] }
    const changed = { messages: [aMessage({ payload: 1 }), aMessage({ payload: 3 })] }

    // Act
    const [first, second] = identities({ scope: 'api-key:one', header: 'batch-1' }, batch)
    const [firstChanged] = identities({ scope: 'api-key:one', header: 'batch-1' }, changed)

    // Assess: the batch changed, so even its unchanged first message no longer matches
    expect(first?.storageKey).not.toBe(second?.storageKey)
    expect(first?.fingerprint).toBe(second?.fingerprint)
    expect(firstChanged?.storageKey).toBe(first?.storageKey)
    expect(firstChanged?.fingerprint).not.toBe(first?.fingerprint)
    expect(second?.label).toBe('The Idempotency-Key of /messages/1')
  })

  it('refuses the header together with idempotencyKey fields, naming the first such field', () => {
    // Prepare
    const batch = { messages: [aMessage(), aMessage({ idempotencyKey: 'k' })] }

    // Act / Assess
    expect(() => identities({ scope: 'api-key:one', header: 'h' }, batch)).toThrow(
      expect.objectContaining({
        status: 400,
        details: [{ pointer: '/messages/1/idempotencyKey', message: 'is not allowed with the header' }],
      }),
    )
  })

  it('keys a CloudEvent’s messages by its source and id, unless a message has a key of its own', () => {
    // Prepare
    const body = { messages: [aMessage(), aMessage({ idempotencyKey: 'own' })] }
    const event = { scope: ACCOUNT_SCOPE, event: { source: 'MNS-iot-queue', id: 'event-1' } }

    // Act
    const [fromEvent, own] = identities(event, body)
    const [sameIdOtherSource] = identities({ ...event, event: { source: 'other', id: 'event-1' } }, body)

    // Assess
    expect(fromEvent?.label).toBe('CloudEvent event-1 of /messages/0')
    expect(own?.storageKey).toBe(identities(account, aMessage({ idempotencyKey: 'own' }))[0]?.storageKey)
    expect(sameIdOtherSource?.storageKey).not.toBe(fromEvent?.storageKey)
  })

  it.each([undefined, '', 7])('gives a CloudEvent whose id is %j no automatic key', (id) => {
    expect(identities({ scope: ACCOUNT_SCOPE, event: { source: 's', id } }, aMessage())).toEqual([undefined])
  })
})

describe('httpKeySources', () => {
  it('scopes keys to the API key presented and reads the header whatever its case', () => {
    // Prepare
    const event = anHttpEvent(aMessage(), {
      headers: { authorization: 'Bearer key-1', 'IDEMPOTENCY-KEY': 'k' },
    })

    // Act / Assess
    expect(httpKeySources(event, true)).toEqual({ scope: 'api-key:key-1', header: 'k' })
    expect(httpKeySources(anHttpEvent(aMessage(), { headers: {} }), true)).toEqual({
      scope: 'http',
      header: undefined,
    })
  })

  it('ignores the Authorization header when FC authenticated the caller (a JWT is renewed between retries)', () => {
    // Prepare
    const withJwt = (jwt: string) =>
      anHttpEvent(aMessage(), { headers: { authorization: `Bearer ${jwt}`, 'idempotency-key': 'k' } })

    // Act / Assess
    expect(httpKeySources(withJwt('eyJ.first'), false)).toEqual(httpKeySources(withJwt('eyJ.renewed'), false))
  })
})

describe('fingerprintOf', () => {
  it('ignores the order in which parameters were set', () => {
    expect(fingerprintOf([{ A: '1', B: '2' }])).toBe(fingerprintOf([{ B: '2', A: '1' }]))
  })
})
