import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ConfigurationError,
  InternalError,
  MessageRejectedError,
  ThrottledError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../../lib/errors.js'
import {
  IdempotencyKeyInProgressError,
  IdempotencyKeyReusedError,
  PublishUncertainError,
} from '../../../lib/idempotency/errors.js'
import type { MessageIdentity } from '../../../lib/idempotency/keys.js'
import { MemoryIdempotencyStore } from '../../../lib/idempotency/memory-store.js'
import { mayHaveBeenPublished, publishOnce } from '../../../lib/idempotency/publish-once.js'
import type { IdempotencyStore } from '../../../lib/idempotency/store.js'
import type { PublishResult } from '../../../lib/iot/publisher.js'
import { createLogger } from '../../../lib/log.js'

const identity: MessageIdentity = { storageKey: 'k', fingerprint: 'message-1', label: 'The Idempotency-Key' }
const other: MessageIdentity = { ...identity, fingerprint: 'message-2' }
const TTL_MS = 86_400_000
const INVOCATION_MS = 3_000

// A fake clock, a memory store on it, and an IoT stand-in counting what it publishes.
function world(options: { store?: IdempotencyStore } = {}) {
  let now = 1_700_000_000_000
  const clock = () => now
  const store = options.store ?? new MemoryIdempotencyStore({ now: clock })
  const lines: string[] = []
  let count = 0
  const iot = {
    published: 0,
    publish: async (): Promise<PublishResult> => {
      iot.published++
      count++
      return { messageId: `m${count}`, requestId: `r${count}` }
    },
    failWith: (error: unknown) => async (): Promise<PublishResult> => {
      throw error
    },
  }
  // Each invocation starts now and ends INVOCATION_MS later, as FC's timeout says.
  const invocation = () => ({
    store,
    recordTtlMs: TTL_MS,
    invocationEnd: now + INVOCATION_MS,
    logger: createLogger((line) => lines.push(line)),
    requestId: 'fc-request',
    now: clock,
  })
  return { iot, invocation, lines, advance: (ms: number) => (now += ms) }
}

describe('publishOnce', () => {
  it('answers the same key and message with the first answer again, publishing nothing', async () => {
    // Prepare
    const { iot, invocation } = world()
    const first = await publishOnce(identity, iot.publish, invocation())

    // Act
    const again = await publishOnce(identity, iot.publish, invocation())

    // Assess
    expect(iot.published).toBe(1)
    expect(first).toEqual({ messageId: 'm1', requestId: 'r1', idempotency: 'instance' })
    expect(again).toEqual({ messageId: 'm1', requestId: 'r1', idempotency: 'replayed' })
  })

  it('refuses the same key with a different message (422) and publishes nothing', async () => {
    // Prepare
    const { iot, invocation } = world()
    await publishOnce(identity, iot.publish, invocation())

    // Act
    const reused = publishOnce(other, iot.publish, invocation())

    // Assess
    await expect(reused).rejects.toThrow(IdempotencyKeyReusedError)
    await expect(reused).rejects.toMatchObject({ status: 422, code: 'IdempotencyKeyReused' })
    expect(iot.published).toBe(1)
  })

  it('answers 409, retryable, while the first request is still publishing', async () => {
    // Prepare: the first publish hangs until released
    const { iot, invocation } = world()
    let finish: () => void = () => {}
    const slow = () => new Promise<PublishResult>((resolve) => (finish = () => resolve(iot.publish())))
    const first = publishOnce(identity, slow, invocation())
    await Promise.resolve()

    // Act
    const second = publishOnce(identity, iot.publish, invocation())

    // Assess
    await expect(second).rejects.toThrow(IdempotencyKeyInProgressError)
    await expect(second).rejects.toMatchObject({
      status: 409,
      retryable: true,
      headers: { 'retry-after': '1' },
    })
    finish()
    await first
    expect(iot.published).toBe(1)
  })

  it('refuses a different message under a key in flight as reused (422), not as in progress', async () => {
    // Prepare
    const { iot, invocation } = world()
    const first = publishOnce(identity, () => new Promise<PublishResult>(() => {}), invocation())
    void first

    // Act / Assess
    await expect(publishOnce(other, iot.publish, invocation())).rejects.toThrow(IdempotencyKeyReusedError)
  })

  it('lets a claim lapse at the end of its invocation, so that a killed instance blocks nothing', async () => {
    // Prepare: the first invocation claims the key and is never heard of again
    const { iot, invocation, advance } = world()
    void publishOnce(identity, () => new Promise<PublishResult>(() => {}), invocation())
    await Promise.resolve()
    advance(INVOCATION_MS - 1)
    await expect(publishOnce(identity, iot.publish, invocation())).rejects.toThrow(
      IdempotencyKeyInProgressError,
    )

    // Act
    advance(1)
    const retried = await publishOnce(identity, iot.publish, invocation())

    // Assess
    expect(retried.idempotency).toBe('instance')
    expect(iot.published).toBe(1)
  })

  it.each([
    ['throttled', new ThrottledError('Throttling.User')],
    ['unavailable', new UpstreamUnavailableError('ServiceUnavailable')],
    ['refused', new MessageRejectedError('iot.device.NotExistedDevice', 'gone', 404)],
    ['misconfigured', new UpstreamRejectedError('InvalidAccessKeyId.NotFound')],
  ])('clears the key after a failure that sent nothing (%s), so that a retry publishes', async (_, error) => {
    // Prepare
    const { iot, invocation } = world()
    await expect(publishOnce(identity, iot.failWith(error), invocation())).rejects.toBe(error)

    // Act
    const retried = await publishOnce(identity, iot.publish, invocation())

    // Assess
    expect(retried).toMatchObject({ messageId: 'm1', idempotency: 'instance' })
  })

  it('spends the key when IoT may have published (504): a retry sends nothing and gets a 504 that is final', async () => {
    // Prepare
    const { iot, invocation } = world()
    const timeout = new UpstreamTimeoutError('RequestTimeout')
    await expect(publishOnce(identity, iot.failWith(timeout), invocation())).rejects.toBe(timeout)

    // Act
    const retried = publishOnce(identity, iot.publish, invocation())

    // Assess
    await expect(retried).rejects.toThrow(PublishUncertainError)
    await expect(retried).rejects.toMatchObject({ status: 504, code: 'UpstreamTimeout', retryable: false })
    expect(iot.published).toBe(0)
  })

  it('remembers a publication for IDEMPOTENCY_TTL_S and no longer', async () => {
    // Prepare
    const { iot, invocation, advance } = world()
    await publishOnce(identity, iot.publish, invocation())

    // Act
    advance(TTL_MS - 1)
    const within = await publishOnce(identity, iot.publish, invocation())
    advance(1)
    const after = await publishOnce(identity, iot.publish, invocation())

    // Assess
    expect(within.idempotency).toBe('replayed')
    expect(after).toMatchObject({ messageId: 'm2', idempotency: 'instance' })
  })

  it('publishes without the guarantee, and says so, when the store cannot be reached', async () => {
    // Prepare
    const down: IdempotencyStore = {
      shared: true,
      claim: () => Promise.reject(new Error('ECONNREFUSED')),
      settle: () => Promise.reject(new Error('ECONNREFUSED')),
      release: () => Promise.reject(new Error('ECONNREFUSED')),
    }
    const { iot, invocation } = world({ store: down })

    // Act
    const results = [
      await publishOnce(identity, iot.publish, invocation()),
      await publishOnce(identity, iot.publish, invocation()),
    ]

    // Assess
    expect(results.map((result) => result.idempotency)).toEqual(['unavailable', 'unavailable'])
    expect(iot.published).toBe(2)
  })

  it('answers a publication whose record could not be written as unprotected, and logs it', async () => {
    // Prepare: the store takes the claim, then fails
    const memory = new MemoryIdempotencyStore()
    const flaky: IdempotencyStore = {
      shared: true,
      claim: (key, claim) => memory.claim(key, claim),
      settle: () => Promise.reject(new Error('ETIMEDOUT')),
      release: (key, token) => memory.release(key, token),
    }
    const { iot, invocation, lines } = world({ store: flaky })

    // Act
    const result = await publishOnce(identity, iot.publish, invocation())

    // Assess
    expect(result).toEqual({ messageId: 'm1', requestId: 'r1', idempotency: 'unavailable' })
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['idempotency record not written'])
  })

  it('answers as unprotected, and logs it, when its claim lapsed and another request took the key', async () => {
    // Prepare: the publish outlives the invocation; meanwhile another takes the key
    const { iot, invocation, advance, lines } = world()
    let finish: () => void = () => {}
    const slow = () => new Promise<PublishResult>((resolve) => (finish = () => resolve(iot.publish())))
    const late = publishOnce(identity, slow, invocation())
    await Promise.resolve()
    advance(INVOCATION_MS)
    void publishOnce(identity, () => new Promise<PublishResult>(() => {}), invocation())
    await Promise.resolve()

    // Act
    finish()

    // Assess
    expect((await late).idempotency).toBe('unavailable')
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['idempotency claim expired'])
  })

  it('says "stored" when the store is shared by the fleet', async () => {
    // Prepare
    const memory = new MemoryIdempotencyStore()
    const shared: IdempotencyStore = {
      shared: true,
      claim: (key, claim) => memory.claim(key, claim),
      settle: (key, token, record, ttlMs) => memory.settle(key, token, record, ttlMs),
      release: (key, token) => memory.release(key, token),
    }
    const { iot, invocation } = world({ store: shared })

    // Act / Assess
    expect((await publishOnce(identity, iot.publish, invocation())).idempotency).toBe('stored')
  })
})

describe('publishOnce against a model, for any sequence of keys, messages and IoT outcomes', () => {
  type Outcome = 'published' | 'refused' | 'timeout'
  type Known =
    | { state: 'published'; message: string; messageId: string }
    | { state: 'uncertain'; message: string }

  it('publishes each key at most once, and answers every later use as the first use decided', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            message: fc.constantFrom('m1', 'm2'),
            outcome: fc.constantFrom<Outcome>('published', 'refused', 'timeout'),
          }),
          { maxLength: 40 },
        ),
        async (steps) => {
          const { invocation } = world()
          const model = new Map<string, Known>()
          let calls = 0
          for (const { key, message, outcome } of steps) {
            const identity = { storageKey: key, fingerprint: message, label: 'The idempotencyKey' }
            const publish = async (): Promise<PublishResult> => {
              calls++
              if (outcome === 'refused')
                throw new MessageRejectedError('iot.device.NotExistedDevice', 'gone', 404)
              if (outcome === 'timeout') throw new UpstreamTimeoutError('RequestTimeout')
              return { messageId: `id${calls}`, requestId: 'r' }
            }
            const before = calls
            const answer = await publishOnce(identity, publish, invocation()).then(
              (result) => result,
              (error: unknown) => error,
            )
            const known = model.get(key)
            if (known !== undefined) {
              // Decided before: nothing is sent, whatever IoT would do now
              expect(calls).toBe(before)
              if (known.message !== message) expect(answer).toBeInstanceOf(IdempotencyKeyReusedError)
              else if (known.state === 'uncertain') expect(answer).toBeInstanceOf(PublishUncertainError)
              else
                expect(answer).toEqual({
                  messageId: known.messageId,
                  requestId: 'r',
                  idempotency: 'replayed',
                })
              continue
            }
            expect(calls).toBe(before + 1)
            if (outcome === 'published')
              model.set(key, { state: 'published', message, messageId: `id${calls}` })
            if (outcome === 'timeout') model.set(key, { state: 'uncertain', message })
          }
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('mayHaveBeenPublished', () => {
  it.each([
    [new UpstreamTimeoutError('RequestTimeout'), true],
    [new UpstreamTimeoutError('GatewayDeadline'), true],
    [new InternalError(new Error('bug')), true],
    [new TypeError('not a gateway error'), true],
    [new ThrottledError('Throttling'), false],
    [new ThrottledError(undefined), false],
    [new UpstreamUnavailableError('ECONNREFUSED'), false],
    [new MessageRejectedError('iot.messagebroker.InvalidFormattedTopicName', 'bad', 422), false],
    [new UpstreamRejectedError('SignatureDoesNotMatch'), false],
    [new ConfigurationError('no credentials'), false],
    [Object.assign(new UpstreamUnavailableError('ECONNRESET'), { mayHavePublished: true }), true],
    [
      Object.assign(new MessageRejectedError('iot.device.NotExistedDevice', 'gone', 404), {
        mayHavePublished: true,
      }),
      false,
    ],
  ])('%s → %s', (error, expected) => {
    expect(mayHaveBeenPublished(error)).toBe(expected)
  })
})
