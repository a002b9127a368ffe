import { describe, expect, it } from 'vitest'
import { MemoryIdempotencyStore } from '../../../lib/idempotency/memory-store.js'
import { describeStoreContract } from '../../helpers/idempotency-store-contract.js'

function withFakeClock(maxRecords?: number) {
  let now = 1_000_000
  const store = new MemoryIdempotencyStore({ maxRecords, now: () => now })
  return {
    store,
    advance: async (ms: number) => {
      now += ms
    },
  }
}

describeStoreContract('MemoryIdempotencyStore', () => withFakeClock())

describe('MemoryIdempotencyStore', () => {
  it('keeps at most maxRecords, forgetting the oldest first', async () => {
    // Prepare
    const { store } = withFakeClock(3)
    const claim = { fingerprint: 'f', token: 't', ttlMs: 60_000 }

    // Act
    for (const key of ['a', 'b', 'c', 'd']) await store.claim(key, claim)

    // Assess: 'a' was forgotten, 'd' is held
    expect(store.size).toBe(3)
    expect(await store.claim('a', { ...claim, token: 'u' })).toBeUndefined()
    expect(await store.claim('d', { ...claim, token: 'u' })).toMatchObject({ state: 'in-progress' })
  })

  it('tells how long an in-progress claim has left', async () => {
    // Prepare
    const { store, advance } = withFakeClock()
    await store.claim('k', { fingerprint: 'f', token: 't', ttlMs: 5_000 })

    // Act
    await advance(1_500)

    // Assess
    expect(await store.claim('k', { fingerprint: 'f', token: 'u', ttlMs: 5_000 })).toEqual({
      state: 'in-progress',
      fingerprint: 'f',
      expiresInMs: 3_500,
    })
  })
})
