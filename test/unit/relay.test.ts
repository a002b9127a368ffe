import { afterEach, describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../lib/config.js'
import type { GatewayContext } from '../../lib/context.js'
import type { Publisher } from '../../lib/iot/publisher.js'
import * as publishRequest from '../../lib/message/publish-request.js'
import { relay } from '../../lib/relay.js'
import { aMessage, anFcContext } from '../helpers/factories.js'

const mnsEvent = (id: string, message: unknown) => ({
  id,
  source: 'acs:mns:cn-shanghai:1234567890:queues/q',
  specversion: '1.0',
  type: 'mns:Queue:SendMessage',
  data: { messageBody: JSON.stringify(message) },
})

function aGatewayContext(publisher: Publisher): GatewayContext {
  return {
    ...anFcContext(),
    config: loadConfig({ IOT_REGION: 'cn-shanghai' }),
    publisher,
    idempotency: { publisherFor: (inner: Publisher) => inner },
  } as unknown as GatewayContext
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('relay of an EventBridge batch', () => {
  it('counts an unexpected failure while reading an event as retryable, never as poison to drop', async () => {
    // Prepare
    const publish = vi.fn(async () => ({ messageId: '1', requestId: 'r' }))
    const read = publishRequest.readPublishRequest
    vi.spyOn(publishRequest, 'readPublishRequest').mockImplementation((body, settings) => {
      if ((body as { deviceName?: string }).deviceName === 'broken')
        throw new TypeError('a bug, not the event')
      return read(body, settings)
    })
    const events = [mnsEvent('e1', aMessage()), mnsEvent('e2', aMessage({ deviceName: 'broken' }))]

    // Act
    const outcome = await relay({ kind: 'eventbridge', events }, aGatewayContext({ publish }))

    // Assess
    expect(outcome.form).toBe('events')
    const [good, broken] = outcome.form === 'events' ? outcome.events : []
    expect(good?.results).toHaveLength(1)
    expect(broken?.dropped).toEqual([])
    expect(broken?.retryable).toEqual([expect.objectContaining({ code: 'InternalError' })])
  })

  it('drops an event whose message the schema refuses, as poison', async () => {
    // Prepare
    const publish = vi.fn(async () => ({ messageId: '1', requestId: 'r' }))
    const events = [mnsEvent('e1', { ...aMessage(), qos: 7 })]

    // Act
    const outcome = await relay({ kind: 'eventbridge', events }, aGatewayContext({ publish }))

    // Assess
    const [refused] = outcome.form === 'events' ? outcome.events : []
    expect(refused?.dropped).toEqual([expect.objectContaining({ code: 'InvalidRequest' })])
    expect(refused?.retryable).toEqual([])
    expect(publish).not.toHaveBeenCalled()
  })
})
