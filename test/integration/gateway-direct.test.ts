import { beforeEach, describe, expect, it } from 'vitest'
import { FAULTS } from '../../dev/iot-emulator/faults.js'
import { useEmulator } from '../helpers/emulator.js'
import { aMessage, anFcContext, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'

const emulator = useEmulator()
const shortFunction = () => anFcContext({ function: { name: 'gw', timeout: 1 } })

describe('the built gateway invoked directly', () => {
  let handler: BuiltHandler

  beforeEach(() => {
    handler = loadBuiltGateway(emulatorEnv(emulator()))
  })

  it('returns the same result object an HTTP body would carry', async () => {
    // Act
    const result = await handler(asFcEvent(aMessage()), anFcContext())

    // Assess
    expect(result).toEqual({
      messageId: emulator().delivered.at(-1)?.messageId,
      requestId: expect.any(String),
    })
  })

  it('returns the error object for a message that can never succeed', async () => {
    // Act
    const result = await handler(asFcEvent(aMessage({ qos: 7 as 0 })), anFcContext())

    // Assess
    expect(result).toEqual({
      error: {
        code: 'InvalidRequest',
        message: 'The message is not valid',
        details: [expect.objectContaining({ pointer: '/qos' })],
      },
    })
  })

  it('returns the error object for a payload that is not JSON', async () => {
    // Act
    const result = await handler(Buffer.from('hello'), anFcContext())

    // Assess
    expect(result).toMatchObject({
      error: {
        code: 'InvalidRequest',
        message: expect.stringMatching(/^The invocation payload is not valid JSON: at line 1, column 1 /),
      },
    })
  })

  it('returns IoT’s refusal of an unknown device without failing', async () => {
    // Prepare
    emulator().registerProduct('a1Q5XoYtest', ['device1'])

    // Act
    const result = await handler(asFcEvent(aMessage({ deviceName: 'ghost' })), anFcContext())

    // Assess
    expect(result).toMatchObject({ error: { code: 'iot.device.NotExistedDevice' } })
  })

  it('fails the invocation when a retry could cure it, so FC’s retry policy applies', async () => {
    // Prepare
    emulator().inject(FAULTS.serviceUnavailable, { durationMs: 5_000 })

    // Act
    const invocation = handler(asFcEvent(aMessage()), shortFunction())

    // Assess
    await expect(invocation).rejects.toThrow(
      'UpstreamUnavailable: IoT Platform is unavailable (ServiceUnavailable); retry later',
    )
  })

  it('fails with an error that carries nothing of the vendor’s error', async () => {
    // Prepare
    emulator().inject(FAULTS.throttling, { durationMs: 5_000 })

    // Act
    const error = await handler(asFcEvent(aMessage()), shortFunction()).catch((thrown: unknown) => thrown)

    // Assess
    expect(error).toMatchObject({ name: 'ThrottledError', code: 'Throttled', status: 429 })
    expect(error).not.toHaveProperty('cause')
    expect(error).not.toHaveProperty('originalError')
  })

  it('fails when the gateway itself is misconfigured, so the message is not lost', async () => {
    // Prepare
    handler = loadBuiltGateway({})

    // Act
    const invocation = handler(asFcEvent(aMessage()), anFcContext())

    // Assess
    await expect(invocation).rejects.toThrow(/GatewayMisconfigured: .*IOT_REGION/)
  })
})
