import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { FAULTS, FaultSchedule } from '../../../dev/iot-emulator/faults.js'
import { IotEmulator } from '../../../dev/iot-emulator/server.js'
import { signPubRequest } from '../../../dev/iot-emulator/signed-request.js'

describe('FaultSchedule', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  it('fails the given number of requests, then none', () => {
    // Prepare
    const schedule = new FaultSchedule()
    schedule.add(FAULTS.reset, { times: 2 })

    // Act
    const faults = [schedule.next(), schedule.next(), schedule.next()]

    // Assess
    expect(faults).toEqual([FAULTS.reset, FAULTS.reset, undefined])
  })

  it('fails every request for a duration', () => {
    // Prepare
    const schedule = new FaultSchedule()
    schedule.add(FAULTS.hang, { durationMs: 1_000 })

    // Act
    const during = [schedule.next(), schedule.next()]
    vi.advanceTimersByTime(1_000)
    const after = schedule.next()

    // Assess
    expect(during).toEqual([FAULTS.hang, FAULTS.hang])
    expect(after).toBeUndefined()
  })

  it('plays faults in the order they were added', () => {
    // Prepare
    const schedule = new FaultSchedule()
    schedule.add(FAULTS.reset)
    schedule.add(FAULTS.html502)

    // Act + Assess
    expect([schedule.next(), schedule.next()]).toEqual([FAULTS.reset, FAULTS.html502])
  })
})

describe('the emulator’s quota', () => {
  const emulator = new IotEmulator({ quotaQps: 3 })

  beforeAll(async () => {
    await emulator.start()
  })

  afterAll(async () => {
    await emulator.stop()
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  function signedPub(): string {
    return new URLSearchParams(
      signPubRequest({ ProductKey: 'pk', TopicFullName: '/pk/d/user/get', MessageContent: 'aGk=' }),
    ).toString()
  }

  it('throttles calls past the quota with IoT’s varying codes and statuses', async () => {
    // Prepare: the clock stands still (timers still run), so every call falls in one one-second window
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })

    // Act
    const answers = []
    for (let i = 0; i < 7; i++) {
      const response = await fetch(emulator.url, { method: 'POST', body: signedPub() })
      answers.push({ status: response.status, code: ((await response.json()) as { Code?: string }).Code })
    }

    // Assess
    expect(answers.slice(0, 3).every((answer) => answer.status === 200 && answer.code === undefined)).toBe(
      true,
    )
    expect(answers.slice(3)).toEqual([
      { status: 400, code: 'Throttling.User' },
      { status: 503, code: 'Throttling' },
      { status: 429, code: 'Throttling.Api' },
      { status: 200, code: 'iot.messagebroker.RateLimit' },
    ])
    expect(emulator.throttled).toBe(4)
  })
})
