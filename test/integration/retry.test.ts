import { describe, expect, it } from 'vitest'
import { FAULTS, type Fault, THROTTLE_ANSWERS } from '../../dev/iot-emulator/faults.js'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { useEmulator } from '../helpers/emulator.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'

const emulator = useEmulator()

async function publishOver(env: Record<string, string> = {}, timeoutSeconds = 30) {
  const handler = loadBuiltGateway(emulatorEnv(emulator(), env))
  const context = anFcContext({ function: { name: 'gw', timeout: timeoutSeconds } })
  const response = (await handler(asFcEvent(anHttpEvent(aMessage())), context)) as FcHttpResponse
  return { status: response.statusCode, headers: response.headers, json: JSON.parse(response.body) }
}

describe('retries against the emulator', () => {
  it.each([
    ['ServiceUnavailable (503)', FAULTS.serviceUnavailable],
    ['InternalError (500)', FAULTS.internalError],
    ['iot.system.SystemException', FAULTS.systemException],
    ['iot.messagebroker.PublishMessageException', FAULTS.publishException],
    ['iot.messagebroker.RateLimit', FAULTS.rateLimit],
    ['Success:false without a code', FAULTS.successFalse],
  ] as [string, Fault][])('delivers exactly once after two calls fail with %s', async (_, fault) => {
    // Prepare
    emulator().inject(fault, { times: 2 })
    const deliveredBefore = emulator().delivered.length

    // Act
    const response = await publishOver({ PUB_TIMEOUT_MS: '300' })

    // Assess
    expect(response.status).toBe(200)
    expect(emulator().delivered.length - deliveredBefore).toBe(1)
    expect(emulator().delivered.at(-1)?.messageId).toBe(response.json.messageId)
  })

  // Each of these reached IoT (or may have) without an answer saying what became of the message.
  const maybePublished = [
    ['a proxy’s HTML 502 page', FAULTS.html502, 'InvalidResponse'],
    ['a connection reset after the request was written', FAULTS.reset, 'ECONNRESET'],
    ['iot.messagebroker.TIMEOUT', FAULTS.brokerTimeout, 'iot.messagebroker.TIMEOUT'],
    ['an answer that never comes', FAULTS.hang, 'ResponseTimeout'],
  ] as [string, Fault, string][]

  it.each(maybePublished)('repeats a call once after %s, by default', async (_, fault) => {
    // Prepare
    emulator().inject(fault, { times: 1 })
    const deliveredBefore = emulator().delivered.length

    // Act
    const response = await publishOver({ PUB_TIMEOUT_MS: '300' })

    // Assess
    expect(response.status).toBe(200)
    expect(emulator().delivered.length - deliveredBefore).toBe(1)
  })

  it.each(maybePublished)(
    'answers 504 “may have been published” after two calls end with %s, never 503',
    async (_, fault, iotCode) => {
      // Prepare
      emulator().inject(fault, { times: 2 })
      const callsBefore = emulator().calls

      // Act
      const response = await publishOver({ PUB_TIMEOUT_MS: '300' })

      // Assess
      expect(response.status).toBe(504)
      expect(response.json.error).toMatchObject({ code: 'UpstreamTimeout', iotCode, attempts: 2 })
      expect(response.json.error.message).toContain('may have been published')
      expect(emulator().calls - callsBefore).toBe(2)
    },
  )

  it('delivers exactly once after IoT throttles with HTTP 503 and with HTTP 200', async () => {
    // Prepare: the unit tables cover every code; two keep the 1 s throttle backoff short here
    const throttles = THROTTLE_ANSWERS.filter(
      (answer) => answer.kind === 'answer' && [503, 200].includes(answer.status),
    )
    for (const answer of throttles) emulator().inject(answer)
    const deliveredBefore = emulator().delivered.length
    const callsBefore = emulator().calls

    // Act
    const response = await publishOver()

    // Assess
    expect(response.status).toBe(200)
    expect(emulator().calls - callsBefore).toBe(throttles.length + 1)
    expect(emulator().delivered.length - deliveredBefore).toBe(1)
  })

  it('repeats an answer slower than PUB_TIMEOUT_MS once; Pub has no idempotency token, so it may publish twice', async () => {
    // Prepare
    emulator().inject({ kind: 'delay', ms: 600 })
    const deliveredBefore = emulator().delivered.length

    // Act
    const response = await publishOver({ PUB_TIMEOUT_MS: '200' })
    await new Promise((resolve) => setTimeout(resolve, 600))

    // Assess
    expect(response.status).toBe(200)
    expect(emulator().delivered.length - deliveredBefore).toBe(2)
  })

  it('sends no copy of a message IoT accepts but answers late when PUB_MAYBE_SENT_RETRIES=0', async () => {
    // Prepare: IoT takes every call and answers after the call's time limit
    emulator().inject({ kind: 'delay', ms: 500 }, { durationMs: 5_000 })
    const deliveredBefore = emulator().delivered.length

    // Act
    const response = await publishOver({ PUB_TIMEOUT_MS: '200', PUB_MAYBE_SENT_RETRIES: '0' })
    await new Promise((resolve) => setTimeout(resolve, 700))

    // Assess
    expect(response.status).toBe(504)
    expect(response.json.error).toMatchObject({ code: 'UpstreamTimeout', attempts: 1 })
    expect(emulator().delivered.length - deliveredBefore).toBe(1)
  })

  it('publishes each message of a batch at most twice when IoT answers every call late', async () => {
    // Prepare
    emulator().inject({ kind: 'delay', ms: 400 }, { durationMs: 10_000 })
    const handler = loadBuiltGateway(emulatorEnv(emulator(), { PUB_TIMEOUT_MS: '150' }))
    const messages = Array.from({ length: 20 }, (_, n) => aMessage({ payload: { n } }))
    const deliveredBefore = emulator().delivered.length

    // Act
    const response = (await handler(
      asFcEvent(anHttpEvent({ messages })),
      anFcContext({ function: { name: 'gw', timeout: 30 } }),
    )) as FcHttpResponse
    await new Promise((resolve) => setTimeout(resolve, 600))

    // Assess: every result says the message may have been published, and none went out more than twice
    const results = JSON.parse(response.body).results as { status: number; error: { code: string } }[]
    expect(results.every((result) => result.status === 504)).toBe(true)
    expect(response.statusCode).toBe(504)
    expect(emulator().delivered.length - deliveredBefore).toBeLessThanOrEqual(2 * messages.length)
  })
})

describe('the deadline of a 3-second function', () => {
  it.each([
    ['hangs', FAULTS.hang, 504, 'UpstreamTimeout'],
    ['throttles', FAULTS.throttling, 429, 'Throttled'],
    ['fails', FAULTS.serviceUnavailable, 503, 'UpstreamUnavailable'],
  ] as [string, Fault, number, string][])(
    'answers within 3 s when IoT %s forever',
    async (_, fault, status, code) => {
      // Prepare
      emulator().inject(fault, { durationMs: 10_000 })
      const started = performance.now()

      // Act
      const response = await publishOver({}, 3)

      // Assess
      expect(performance.now() - started).toBeLessThan(3_000)
      expect(response.status).toBe(status)
      expect(response.json.error.code).toBe(code)
    },
  )
})

describe('Retry-After from IoT', () => {
  const throttleWith = (retryAfter: string): Fault => ({
    ...(FAULTS.throttling as Extract<Fault, { kind: 'answer' }>),
    headers: { 'retry-after': retryAfter },
  })

  it('does not turn Retry-After: 0 into a storm of calls for one message', async () => {
    // Prepare
    emulator().inject(throttleWith('0'), { durationMs: 10_000 })
    const callsBefore = emulator().calls

    // Act
    const response = await publishOver({}, 3)

    // Assess: the throttle backoff (full jitter under 1 s, 2 s, 4 s…) still spaces the calls
    expect(response.status).toBe(429)
    expect(emulator().calls - callsBefore).toBeLessThanOrEqual(10)
  })

  it.each(['Infinity', '1e400', '-1', 'Wed, 21 Oct 2015 07:28:00 GMT', 'soon', '99999999'])(
    'answers a whole number of seconds within the cap when IoT says Retry-After: %s',
    async (retryAfter) => {
      // Prepare
      emulator().inject(throttleWith(retryAfter), { durationMs: 10_000 })

      // Act
      const response = await publishOver({}, 2)

      // Assess
      expect(response.status).toBe(429)
      expect(response.headers['retry-after']).toMatch(/^\d+$/)
      expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(20)
    },
  )
})

describe('a sustained outage', () => {
  it('stops multiplying load once the retry budget is spent', async () => {
    // Prepare: one fresh instance, whose 500-token budget covers 35 transient retries
    emulator().inject(FAULTS.serviceUnavailable, { durationMs: 10_000 })
    const handler = loadBuiltGateway(emulatorEnv(emulator()))
    const context = () => anFcContext({ function: { name: 'gw', timeout: 3 } })
    const callsBefore = emulator().calls

    // Act
    const responses = await Promise.all(
      Array.from(
        { length: 40 },
        () => handler(asFcEvent(anHttpEvent(aMessage())), context()) as Promise<FcHttpResponse>,
      ),
    )

    // Assess
    // A cold instance starts at 20 calls per second. A request whose first call finds no slot before
    // the deadline is a 429 that made no call; one whose retry finds none answers with its call's 503.
    const answers = responses.map((response) => ({
      status: response.statusCode,
      attempts: JSON.parse(response.body).error.attempts,
    }))
    expect(answers.filter(({ status }) => status === 503).length).toBeGreaterThan(0)
    for (const { status, attempts } of answers) {
      if (status === 429) expect(attempts).toBe(0)
      else expect({ status, attempts: attempts > 0 }).toEqual({ status: 503, attempts: true })
    }
    expect(emulator().calls - callsBefore).toBeLessThanOrEqual(40 + Math.floor(500 / 14))
  })
})
