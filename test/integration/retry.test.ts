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
    ['a proxy’s HTML 502 page', FAULTS.html502],
    ['a connection reset', FAULTS.reset],
    ['iot.system.SystemException', FAULTS.systemException],
    ['iot.messagebroker.PublishMessageException', FAULTS.publishException],
    ['iot.messagebroker.TIMEOUT', FAULTS.brokerTimeout],
    ['iot.messagebroker.RateLimit', FAULTS.rateLimit],
    ['Success:false without a code', FAULTS.successFalse],
    ['an answer that never comes', FAULTS.hang],
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

  it('retries an answer slower than PUB_TIMEOUT_MS; Pub has no idempotency token, so it may publish twice', async () => {
    // Prepare
    emulator().inject({ kind: 'delay', ms: 600 })
    const deliveredBefore = emulator().delivered.length

    // Act
    const response = await publishOver({ PUB_TIMEOUT_MS: '200' })

    // Assess
    expect(response.status).toBe(200)
    expect(emulator().delivered.length - deliveredBefore).toBe(2)
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
    // A cold instance starts at 20 calls per second: what finds no slot before the deadline is a 429.
    expect(new Set(responses.map((response) => response.statusCode))).toEqual(new Set([503, 429]))
    expect(emulator().calls - callsBefore).toBeLessThanOrEqual(40 + Math.floor(500 / 14))
  })
})
