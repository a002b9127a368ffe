import { describe, expect, it } from 'vitest'
import { RetryQuota } from '../../../lib/retry/retry-quota.js'

describe('RetryQuota', () => {
  it('starts with 500 tokens and spends 5 per throttle retry and 14 per transient retry', () => {
    // Prepare
    const quota = new RetryQuota()

    // Act
    quota.tryAcquire('throttle')
    quota.tryAcquire('transient')

    // Assess
    expect(quota.available).toBe(500 - 5 - 14)
  })

  it('allows 100 throttle retries from full, then refuses without spending', () => {
    // Prepare
    const quota = new RetryQuota()

    // Act
    const granted = Array.from({ length: 101 }, () => quota.tryAcquire('throttle'))

    // Assess
    expect(granted.filter(Boolean)).toHaveLength(100)
    expect(granted.at(-1)).toBe(false)
    expect(quota.available).toBe(0)
  })

  it('refuses a transient retry it cannot cover, even with tokens left', () => {
    // Prepare
    const quota = new RetryQuota({ capacity: 13 })

    // Act + Assess
    expect(quota.tryAcquire('transient')).toBe(false)
    expect(quota.tryAcquire('throttle')).toBe(true)
  })

  it('earns one token back per success, up to the capacity', () => {
    // Prepare
    const quota = new RetryQuota()
    quota.tryAcquire('throttle')

    // Act
    for (let i = 0; i < 10; i++) quota.recordSuccess()

    // Assess
    expect(quota.available).toBe(500)
  })
})
