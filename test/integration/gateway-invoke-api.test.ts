import { beforeEach, describe, expect, it } from 'vitest'
import { FAULTS } from '../../dev/iot-emulator/faults.js'
import { useEmulator } from '../helpers/emulator.js'
import { aCloudEvent, anInvokeApiEvent } from '../helpers/events.js'
import { aMessage, anFcContext, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'
import { capturedLogs } from '../helpers/logs.js'

const emulator = useEmulator()
const TRIGGER_DOMAIN = 'iot-pub-gateway-abcdefghij.cn-shanghai.fcapp.run'
const shortFunction = () => anFcContext({ function: { name: 'gw', timeout: 1 } })

describe('the built gateway, given an InvokeFunction call in the HTTP shape', () => {
  let handler: BuiltHandler

  beforeEach(() => {
    // API keys are required: the call must get through without one all the same
    handler = loadBuiltGateway(emulatorEnv(emulator(), { GATEWAY_AUTH: 'api-key' }))
  })

  it('publishes the body, sent as application/octet-stream without an API key', async () => {
    // Act
    const result = await handler(
      asFcEvent(anInvokeApiEvent(JSON.stringify(aMessage({ payload: 'via invoke' })))),
      anFcContext(),
    )

    // Assess: the direct invocation's answer, not an HTTP response
    expect(result).toEqual({
      messageId: emulator().delivered.at(-1)?.messageId,
      requestId: expect.any(String),
    })
    expect(emulator().delivered.at(-1)?.payload.toString()).toBe('via invoke')
    expect(capturedLogs().at(-1)).toMatchObject({ trigger: 'direct', outcome: 'relayed' })
  })

  it('publishes a batch and returns a result per message', async () => {
    // Act
    const result = await handler(
      asFcEvent(
        anInvokeApiEvent(JSON.stringify({ messages: [aMessage({ topic: 'a' }), aMessage({ topic: 'b' })] })),
      ),
      anFcContext(),
    )

    // Assess
    expect(result).toEqual({
      results: [expect.objectContaining({ messageId: expect.any(String) }), expect.anything()],
    })
    expect(
      emulator()
        .delivered.slice(-2)
        .map((message) => message.topicFullName),
    ).toEqual(['/a1Q5XoYtest/device1/user/a', '/a1Q5XoYtest/device1/user/b'])
  })

  it('fails the invocation on a retryable failure, so FC’s async retries run', async () => {
    // Prepare
    emulator().inject(FAULTS.serviceUnavailable, { durationMs: 5_000 })

    // Act
    const invocation = handler(asFcEvent(anInvokeApiEvent(JSON.stringify(aMessage()))), shortFunction())

    // Assess
    await expect(invocation).rejects.toThrow(/UpstreamUnavailable/)
  })

  it('returns the error object, without failing, for a message that can never succeed', async () => {
    // Act
    const result = await handler(
      asFcEvent(anInvokeApiEvent(JSON.stringify(aMessage({ qos: 9 as 0 })))),
      anFcContext(),
    )

    // Assess
    expect(result).toMatchObject({ error: { code: 'InvalidRequest', details: [{ pointer: '/qos' }] } })
  })

  it('refuses the same request sent to the trigger URL without an API key, even with the API domain as Host', async () => {
    // Prepare
    const before = emulator().delivered.length
    const lookAlike = anInvokeApiEvent(JSON.stringify(aMessage()), {
      domainName: TRIGGER_DOMAIN,
      headers: {
        Host: '1234567890.cn-shanghai.fc.aliyuncs.com',
        'X-Forwarded-Host': '1234567890.cn-shanghai.fc.aliyuncs.com',
      },
    })

    // Act
    const answer = await handler(asFcEvent(lookAlike), anFcContext())

    // Assess
    expect(answer).toMatchObject({ statusCode: 401, headers: { 'www-authenticate': 'Bearer' } })
    expect(emulator().delivered.length).toBe(before)
  })

  it('answers the look-alike, once it has a key, as the HTTP trigger it is (415 for octet-stream)', async () => {
    // Prepare
    const lookAlike = anInvokeApiEvent(JSON.stringify(aMessage()), {
      domainName: TRIGGER_DOMAIN,
      headers: { Authorization: 'Bearer test-api-key-4f1c9a7e2b' },
    })

    // Act
    const answer = await handler(asFcEvent(lookAlike), anFcContext())

    // Assess
    expect(answer).toMatchObject({ statusCode: 415 })
  })

  it('fails an EventBridge batch delivered in this shape on a retryable failure, so the source redelivers it', async () => {
    // Prepare: read as one direct payload, the array was refused and answered, and the events were lost
    emulator().inject(FAULTS.serviceUnavailable, { durationMs: 5_000 })
    const events = [aCloudEvent('mns', aMessage(), 'e1'), aCloudEvent('mns', aMessage(), 'e2')]

    // Act
    const invocation = handler(asFcEvent(anInvokeApiEvent(JSON.stringify(events))), shortFunction())

    // Assess
    await expect(invocation).rejects.toThrow(/RetryableFailures: CloudEvents e1, e2/)
  })

  it('asks for the API key when FC’s context names no account, however the event vouches for itself', async () => {
    // Prepare
    const before = emulator().delivered.length
    const { accountId: _, ...context } = anFcContext()

    // Act
    const answer = await handler(asFcEvent(anInvokeApiEvent(JSON.stringify(aMessage()))), context)

    // Assess
    expect(answer).toMatchObject({ statusCode: 401 })
    expect(emulator().delivered.length).toBe(before)
  })
})
