/** The answers every idempotency store must give, run against the memory store and against Redis. */
import { describe, expect, it } from 'vitest'
import type { IdempotencyStore, SettledRecord } from '../../lib/idempotency/store.js'

/** A store under test and a way to let its time pass. */
export interface StoreUnderTest {
  store: IdempotencyStore
  /** Lets `ms` pass for the store's expiries: a fake clock, or real waiting. */
  advance(ms: number): Promise<void>
}

const published: SettledRecord = {
  state: 'published',
  fingerprint: 'f1',
  result: { messageId: '1889455942124347329', requestId: 'iot-request' },
}
const claim = (token: string, ttlMs = 1_000) => ({ fingerprint: 'f1', token, ttlMs })

let keys = 0
const freshKey = () => `iot-pub:idempotency:contract-${process.pid}-${keys++}`

/**
 * Registers the contract's tests for the store `make` builds.
 * @param ttlMs - a claim's lifetime in the tests: short for a real store, which must really wait
 */
export function describeStoreContract(name: string, make: () => StoreUnderTest, ttlMs = 1_000): void {
  describe(`${name}: the idempotency store contract`, () => {
    it('lets exactly one of two claims of a free key take it, and shows the other the claim', async () => {
      // Prepare
      const { store } = make()
      const key = freshKey()

      // Act
      const [first, second] = await Promise.all([
        store.claim(key, claim('a', ttlMs)),
        store.claim(key, claim('b', ttlMs)),
      ])

      // Assess
      expect([first, second].filter((held) => held === undefined)).toHaveLength(1)
      expect(first ?? second).toMatchObject({ state: 'in-progress', fingerprint: 'f1' })
    })

    it('forgets a claim at its end, so that a killed claimer blocks nothing', async () => {
      // Prepare
      const { store, advance } = make()
      const key = freshKey()
      await store.claim(key, claim('a', ttlMs))

      // Act
      await advance(ttlMs + 20)

      // Assess
      expect(await store.claim(key, claim('b', ttlMs))).toBeUndefined()
    })

    it('gives the settled record to later claims, for as long as the record lives', async () => {
      // Prepare
      const { store, advance } = make()
      const key = freshKey()
      await store.claim(key, claim('a', ttlMs))

      // Act
      const settled = await store.settle(key, 'a', published, ttlMs * 3)
      await advance(ttlMs * 2)
      const during = await store.claim(key, claim('b', ttlMs))
      await advance(ttlMs + 20)
      const after = await store.claim(key, claim('c', ttlMs))

      // Assess
      expect(settled).toBe(true)
      expect(during).toEqual(published)
      expect(after).toBeUndefined()
    })

    it('lets only the claim’s holder settle or release it', async () => {
      // Prepare
      const { store } = make()
      const key = freshKey()
      await store.claim(key, claim('holder', ttlMs))

      // Act
      const settledByOther = await store.settle(key, 'intruder', published, ttlMs)
      await store.release(key, 'intruder')
      const held = await store.claim(key, claim('third', ttlMs))

      // Assess
      expect(settledByOther).toBe(false)
      expect(held).toMatchObject({ state: 'in-progress' })
    })

    it('never lets a late claimer overwrite a record settled by another', async () => {
      // Prepare: a's claim lapsed, b claimed and settled
      const { store, advance } = make()
      const key = freshKey()
      await store.claim(key, claim('a', ttlMs))
      await advance(ttlMs + 20)
      await store.claim(key, claim('b', ttlMs))
      await store.settle(key, 'b', published, ttlMs * 10)

      // Act
      const late = await store.settle(key, 'a', { state: 'uncertain', fingerprint: 'f1' }, ttlMs * 10)

      // Assess
      expect(late).toBe(false)
      expect(await store.claim(key, claim('c', ttlMs))).toEqual(published)
    })

    it('records a late publish whose claim lapsed when nobody took the key since', async () => {
      // Prepare
      const { store, advance } = make()
      const key = freshKey()
      await store.claim(key, claim('a', ttlMs))
      await advance(ttlMs + 20)

      // Act
      const settled = await store.settle(key, 'a', published, ttlMs * 10)

      // Assess
      expect(settled).toBe(true)
      expect(await store.claim(key, claim('b', ttlMs))).toEqual(published)
    })

    it('frees a released key at once for the next claim', async () => {
      // Prepare
      const { store } = make()
      const key = freshKey()
      await store.claim(key, claim('a', ttlMs))

      // Act
      await store.release(key, 'a')

      // Assess
      expect(await store.claim(key, claim('b', ttlMs))).toBeUndefined()
    })

    it('keeps an uncertain outcome', async () => {
      // Prepare
      const { store } = make()
      const key = freshKey()
      await store.claim(key, claim('a', ttlMs))

      // Act
      await store.settle(key, 'a', { state: 'uncertain', fingerprint: 'f1' }, ttlMs * 10)

      // Assess
      expect(await store.claim(key, claim('b', ttlMs))).toEqual({ state: 'uncertain', fingerprint: 'f1' })
    })
  })
}
