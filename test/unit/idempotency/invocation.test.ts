import { describe, expect, it } from 'vitest'
import { UpstreamUnavailableError } from '../../../lib/errors.js'
import { IdempotencyKeyReusedError } from '../../../lib/idempotency/errors.js'
import { createInvocationIdempotency, type KeyedRequest } from '../../../lib/idempotency/invocation.js'
import { MemoryIdempotencyStore } from '../../../lib/idempotency/memory-store.js'
import type { PubParameters } from '../../../lib/iot/pub-parameters.js'
import type { Publisher } from '../../../lib/iot/publisher.js'
import { createLogger } from '../../../lib/log.js'
import { readPublishRequest } from '../../../lib/message/publish-request.js'
import { aCloudEvent } from '../../helpers/events.js'
import { aMessage, anHttpEvent } from '../../helpers/factories.js'

const settings = { maxPayloadBytes: 262_144, maxBatchSize: 100 }

// An IoT stand-in that remembers every call, answering each with a new MessageId.
function countingPublisher() {
  const calls: PubParameters[] = []
  const publisher: Publisher = {
    async publish(parameters) {
      calls.push(parameters)
      await new Promise((resolve) => setTimeout(resolve, 1))
      return { messageId: `m${calls.length}`, requestId: `r${calls.length}` }
    },
  }
  return { calls, publisher }
}

function invocation(store = new MemoryIdempotencyStore()) {
  return createInvocationIdempotency({
    store,
    recordTtlMs: 60_000,
    invocationEnd: Date.now() + 3_000,
    logger: createLogger(() => {}),
    requestId: 'fc-request',
    scopeByApiKey: true,
  })
}

function direct(body: unknown): KeyedRequest {
  return {
    origin: { kind: 'direct', payload: { ok: true, value: body } },
    body,
    request: readPublishRequest(body, settings),
  }
}

const publishEach = (publisher: Publisher, request: KeyedRequest) =>
  Promise.allSettled(request.request.parameters.map((parameters) => publisher.publish(parameters)))

describe('createInvocationIdempotency', () => {
  it('passes the publisher through untouched when no message has a key', () => {
    // Prepare
    const { publisher } = countingPublisher()

    // Act / Assess
    expect(invocation().publisherFor(publisher, [direct(aMessage())])).toBe(publisher)
  })

  it('publishes a key held twice by one batch once, answering the second as a replay', async () => {
    // Prepare
    const { calls, publisher } = countingPublisher()
    const request = direct({
      messages: [aMessage({ idempotencyKey: 'k' }), aMessage({ idempotencyKey: 'k' })],
    })

    // Act
    const results = await publishEach(invocation().publisherFor(publisher, [request]), request)

    // Assess
    expect(calls).toHaveLength(1)
    expect(results).toEqual([
      { status: 'fulfilled', value: { messageId: 'm1', requestId: 'r1', idempotency: 'instance' } },
      { status: 'fulfilled', value: { messageId: 'm1', requestId: 'r1', idempotency: 'replayed' } },
    ])
  })

  it('refuses the second of two different messages under one key in a batch (422)', async () => {
    // Prepare
    const { calls, publisher } = countingPublisher()
    const request = direct({
      messages: [
        aMessage({ idempotencyKey: 'k', payload: 1 }),
        aMessage({ idempotencyKey: 'k', payload: 2 }),
      ],
    })

    // Act
    const results = await publishEach(invocation().publisherFor(publisher, [request]), request)

    // Assess
    expect(calls).toHaveLength(1)
    expect(results[1]).toEqual({ status: 'rejected', reason: expect.any(IdempotencyKeyReusedError) })
  })

  it('gives the later copy of a key the first copy’s failure, without a second call', async () => {
    // Prepare
    const failure = new UpstreamUnavailableError('ServiceUnavailable')
    let calls = 0
    const failing: Publisher = {
      publish: async () => {
        calls++
        throw failure
      },
    }
    const request = direct({
      messages: [aMessage({ idempotencyKey: 'k' }), aMessage({ idempotencyKey: 'k' })],
    })

    // Act
    const results = await publishEach(invocation().publisherFor(failing, [request]), request)

    // Assess
    expect(calls).toBe(1)
    expect(results).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ])
  })

  it('keys CloudEvents by source and id: a redelivered event is answered from its record', async () => {
    // Prepare
    const store = new MemoryIdempotencyStore()
    const { calls, publisher } = countingPublisher()
    const eventRequest = (id: string): KeyedRequest => {
      const event = aCloudEvent('mns', aMessage({ payload: id }), id)
      const body = aMessage({ payload: id })
      return { origin: event, body, request: readPublishRequest(body, settings) }
    }
    const first = [eventRequest('e1')]
    await publishEach(invocation(store).publisherFor(publisher, first), first[0] as KeyedRequest)

    // Act: the same event again, beside a new one
    const redelivery = [eventRequest('e1'), eventRequest('e2')]
    const keyed = invocation(store).publisherFor(publisher, redelivery)
    const results = [
      ...(await publishEach(keyed, redelivery[0] as KeyedRequest)),
      ...(await publishEach(keyed, redelivery[1] as KeyedRequest)),
    ]

    // Assess
    expect(calls).toHaveLength(2)
    expect(results.map((result) => result.status === 'fulfilled' && result.value)).toEqual([
      { messageId: 'm1', requestId: 'r1', idempotency: 'replayed' },
      { messageId: 'm2', requestId: 'r2', idempotency: 'instance' },
    ])
  })

  it('keeps the keys of two HTTP callers apart', async () => {
    // Prepare
    const store = new MemoryIdempotencyStore()
    const { calls, publisher } = countingPublisher()
    const from = (apiKey: string): KeyedRequest => {
      const body = aMessage()
      const event = anHttpEvent(body, {
        headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': 'k' },
      })
      return { origin: { kind: 'http', event }, body, request: readPublishRequest(body, settings) }
    }

    // Act
    for (const caller of [from('alice'), from('bob'), from('alice')])
      await publishEach(invocation(store).publisherFor(publisher, [caller]), caller)

    // Assess: alice's repeat was a replay, bob's first use of the same key was his own
    expect(calls).toHaveLength(2)
  })
})
