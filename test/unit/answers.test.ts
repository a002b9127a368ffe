import { describe, expect, it } from 'vitest'
import { answerError, answerOutcome } from '../../lib/answers.js'
import type { Settled } from '../../lib/batch/publish-all.js'
import {
  InvalidRequestError,
  MessageRejectedError,
  RetryableFailuresError,
  ThrottledError,
  UpstreamUnavailableError,
} from '../../lib/errors.js'
import type { EventOutcome } from '../../lib/relay.js'

const ok = (n: number): Settled => ({ ok: true, result: { messageId: `m${n}`, requestId: `r${n}` } })
const notFound: Settled = {
  ok: false,
  error: new MessageRejectedError('iot.device.NotExistedDevice', 'gone', 404),
}
const throttled = (): Settled => {
  const error = new ThrottledError('Throttling.User')
  error.retryAfterMs = 2_000
  return { ok: false, error }
}

function body(answer: unknown) {
  return JSON.parse((answer as { body: string }).body)
}

describe('answerOutcome for a batch over HTTP', () => {
  it('answers 200 with every result, in request order, when all succeeded', () => {
    // Act
    const answer = answerOutcome('http', { form: 'batch', outcomes: [ok(1), ok(2)] })

    // Assess
    expect(answer).toMatchObject({ statusCode: 200 })
    expect(body(answer)).toEqual({
      results: [
        { messageId: 'm1', requestId: 'r1' },
        { messageId: 'm2', requestId: 'r2' },
      ],
    })
  })

  it('answers 207 when some failed, each failure with its error and status', () => {
    // Act
    const answer = answerOutcome('http', { form: 'batch', outcomes: [ok(1), notFound] })

    // Assess
    expect(answer).toMatchObject({ statusCode: 207 })
    expect(body(answer).results[1]).toEqual({
      error: { code: 'iot.device.NotExistedDevice', message: 'gone', details: [] },
      status: 404,
    })
  })

  it('answers with the first failure’s status and headers when all failed', () => {
    // Act
    const answer = answerOutcome('http', { form: 'batch', outcomes: [throttled(), notFound] })

    // Assess
    expect(answer).toMatchObject({ statusCode: 429, headers: { 'retry-after': '2' } })
  })
})

describe('answerOutcome for other triggers', () => {
  it('returns the results of a direct batch whose failures no retry can cure', () => {
    // Act
    const answer = answerOutcome('direct', { form: 'batch', outcomes: [ok(1), notFound] })

    // Assess
    expect(answer).toMatchObject({ results: [{ messageId: 'm1' }, { status: 404 }] })
  })

  it('fails a direct or timer batch when a message failed for a retryable reason, naming it', () => {
    // Act
    const act = () => answerOutcome('timer', { form: 'batch', outcomes: [ok(1), throttled(), ok(3)] })

    // Assess
    expect(act).toThrow(RetryableFailuresError)
    expect(act).toThrow('messages 1 of the batch')
  })

  it('returns a single result as it is', () => {
    // Act + Assess
    expect(answerOutcome('direct', { form: 'single', result: { messageId: 'm', requestId: 'r' } })).toEqual({
      messageId: 'm',
      requestId: 'r',
    })
  })

  const event = (id: string | undefined, outcome: Partial<EventOutcome>, index = 0): EventOutcome => ({
    index,
    id,
    results: [],
    dropped: [],
    retryable: [],
    ...outcome,
  })

  it('counts what EventBridge events published and lists the poison ones dropped', () => {
    // Act
    const answer = answerOutcome('eventbridge', {
      form: 'events',
      events: [
        event('a', {
          results: [
            { messageId: 'm1', requestId: 'r1' },
            { messageId: 'm2', requestId: 'r2' },
          ],
        }),
        event('b', { dropped: [new InvalidRequestError('bad').toBody()] }, 1),
        event(undefined, { dropped: [new InvalidRequestError('not an event').toBody()] }, 2),
      ],
    })

    // Assess: an element without an id is named by its index alone
    expect(answer).toEqual({
      published: 2,
      dropped: [
        { index: 1, id: 'b', errors: [expect.objectContaining({ code: 'InvalidRequest' })] },
        { index: 2, errors: [expect.objectContaining({ message: 'not an event' })] },
      ],
    })
  })

  it('fails the invocation naming the events with retryable failures, so the source redelivers', () => {
    // Act
    const act = () =>
      answerOutcome('eventbridge', {
        form: 'events',
        events: [
          event('a', {}),
          event('b', { retryable: [new UpstreamUnavailableError('ServiceUnavailable').toBody()] }, 1),
          event(undefined, { retryable: [new UpstreamUnavailableError('InternalError').toBody()] }, 2),
        ],
      })

    // Assess
    expect(act).toThrow('CloudEvents b, at index 2 failed')
  })

  it('names at most 20 failed events, counting the rest, so that a huge batch keeps its error short', () => {
    // Prepare
    const failing = Array.from({ length: 25 }, (_, index) =>
      event(`e${index}`, { retryable: [new UpstreamUnavailableError('ServiceUnavailable').toBody()] }, index),
    )

    // Act
    const act = () => answerOutcome('eventbridge', { form: 'events', events: failing })

    // Assess
    expect(act).toThrow(
      `CloudEvents ${failing
        .slice(0, 20)
        .map((failed) => failed.id)
        .join(', ')} and 5 more failed`,
    )
  })
})

describe('answerError', () => {
  it('fails a non-HTTP invocation only when a retry may help', () => {
    // Act + Assess
    expect(answerError('eventbridge', new UpstreamUnavailableError('InternalError'))).toHaveProperty('fail')
    expect(answerError('timer', new InvalidRequestError('bad'))).toEqual({
      response: { error: { code: 'InvalidRequest', message: 'bad', details: [] } },
    })
  })
})
