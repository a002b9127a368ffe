import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { publishAll } from '../../../lib/batch/publish-all.js'
import { InternalError, MessageRejectedError } from '../../../lib/errors.js'
import type { Publisher } from '../../../lib/iot/publisher.js'

describe('publishAll', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  // Answers after a delay that makes later messages finish first; counts calls in flight.
  function slowPublisher() {
    const stats = { inFlight: 0, most: 0 }
    const publisher: Publisher = {
      async publish(parameters) {
        stats.inFlight++
        stats.most = Math.max(stats.most, stats.inFlight)
        await new Promise((resolve) => setTimeout(resolve, 100 - Number(parameters.n)))
        stats.inFlight--
        if (parameters.n === '3') throw new MessageRejectedError('iot.device.NotExistedDevice', 'x', 404)
        if (parameters.n === '4') throw new TypeError('bug')
        return { messageId: `m${parameters.n}`, requestId: 'r' }
      },
    }
    return { publisher, stats }
  }

  it('keeps outcomes in request order whatever order they finish in', async () => {
    // Prepare
    const { publisher } = slowPublisher()
    const parameters = Array.from({ length: 6 }, (_, n) => ({ n: String(n) }))

    // Act
    const promise = publishAll(parameters, publisher, 4)
    await vi.runAllTimersAsync()
    const outcomes = await promise

    // Assess
    expect(outcomes.map((outcome) => (outcome.ok ? outcome.result.messageId : outcome.error.code))).toEqual([
      'm0',
      'm1',
      'm2',
      'iot.device.NotExistedDevice',
      'InternalError',
      'm5',
    ])
    expect(outcomes[4]).toMatchObject({ ok: false, error: expect.any(InternalError) })
  })

  it('never has more calls in flight than the bound', async () => {
    // Prepare
    const { publisher, stats } = slowPublisher()
    const parameters = Array.from({ length: 40 }, (_, n) => ({ n: String(n + 10) }))

    // Act
    const promise = publishAll(parameters, publisher, 16)
    await vi.runAllTimersAsync()
    await promise

    // Assess
    expect(stats.most).toBe(16)
  })

  it('answers an empty list with no outcomes', async () => {
    // Act + Assess
    expect(await publishAll([], slowPublisher().publisher, 16)).toEqual([])
  })
})
