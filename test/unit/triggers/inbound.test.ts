import { describe, expect, it } from 'vitest'
import { InvalidRequestError, MethodNotAllowedError } from '../../../lib/errors.js'
import { readCloudEventBody } from '../../../lib/triggers/eventbridge.js'
import { headerValue, jsonResponse } from '../../../lib/triggers/http.js'
import { readInboundBody, recognizeInbound } from '../../../lib/triggers/inbound.js'
import { aCloudEvent, aTimerEvent } from '../../helpers/events.js'
import { aMessage, anHttpEvent, asFcEvent } from '../../helpers/factories.js'

// The caller's JSON for any trigger but EventBridge.
function bodyOf(raw: unknown): unknown {
  const inbound = recognizeInbound(raw)
  if (inbound.kind === 'eventbridge') throw new Error('not for EventBridge events')
  return readInboundBody(inbound, 1_000_000)
}

describe('recognizeInbound', () => {
  it.each([
    ['an HTTP trigger event (version v1 with requestContext.http)', anHttpEvent(aMessage()), 'http'],
    ['a timer event (triggerTime and triggerName)', aTimerEvent(aMessage()), 'timer'],
    ['one CloudEvent (specversion, source, type)', aCloudEvent('mns', aMessage()), 'eventbridge'],
    [
      'a batch of CloudEvents',
      [aCloudEvent('mns', aMessage()), aCloudEvent('kafka', aMessage())],
      'eventbridge',
    ],
    [
      'an array holding a CloudEvent among elements that are not',
      [null, 5, { specversion: '1.0', id: 'no-type' }, aCloudEvent('mns', aMessage())],
      'eventbridge',
    ],
    ['an array without any CloudEvent', [aMessage(), { specversion: '1.0', source: 's' }], 'direct'],
    ['a message', aMessage(), 'direct'],
    ['a batch of messages', { messages: [aMessage()] }, 'direct'],
    ['an empty array', [], 'direct'],
  ])('recognises %s', (_, event, kind) => {
    // Act + Assess
    expect(recognizeInbound(asFcEvent(event)).kind).toBe(kind)
  })

  it('counts each CloudEvent of a batch', () => {
    // Act
    const inbound = recognizeInbound(asFcEvent([aCloudEvent('mns', 1), aCloudEvent('mns', 2)]))

    // Assess
    expect(inbound).toMatchObject({ kind: 'eventbridge', events: [{}, {}] })
  })

  it('keeps every element of a batch, CloudEvent or not, in its place', () => {
    // Act
    const inbound = recognizeInbound(asFcEvent([7, aCloudEvent('mns', 1, 'e1'), null]))

    // Assess
    expect(inbound).toMatchObject({ kind: 'eventbridge', events: [7, { id: 'e1' }, null] })
  })

  it('takes any other JSON as a direct invocation', () => {
    // Act + Assess
    expect(bodyOf(asFcEvent(aMessage()))).toEqual(aMessage())
  })

  it('takes text that is not JSON as a direct invocation with a malformed payload', () => {
    // Act
    const act = () => bodyOf(Buffer.from('{not json'))

    // Assess
    expect(act).toThrow(InvalidRequestError)
  })

  it('accepts an already-parsed object', () => {
    // Act + Assess
    expect(bodyOf(aMessage())).toEqual(aMessage())
  })
})

describe('reading a timer payload', () => {
  it('parses the payload string a second time', () => {
    // Act + Assess
    expect(bodyOf(asFcEvent(aTimerEvent({ messages: [aMessage()] })))).toEqual({ messages: [aMessage()] })
  })

  it.each([
    ['not JSON', 'hello'],
    ['empty', ''],
  ])('refuses a payload that is %s, naming the trigger', (_, payload) => {
    // Act
    const act = () => bodyOf(asFcEvent(aTimerEvent(payload)))

    // Assess
    expect(act).toThrow(/timer trigger "every-minute"/)
  })

  it.each([
    ['a number', 42, 'a number'],
    ['an object', aMessage(), 'an object'],
    ['an array', [aMessage()], 'an array'],
    ['null', null, 'null'],
    ['a boolean', true, 'a boolean'],
  ])('refuses a payload that is %s with InvalidRequest, not a crash', (_, payload, named) => {
    // Prepare
    const event = { ...aTimerEvent(''), payload }

    // Act
    const act = () => bodyOf(asFcEvent(event))

    // Assess
    expect(act).toThrow(InvalidRequestError)
    expect(act).toThrow(`timer trigger "every-minute" must be a string of JSON, not ${named}`)
  })
})

describe('reading a CloudEvent', () => {
  it.each(['mns', 'rocketmq', 'kafka', 'rabbitmq'] as const)(
    'reads the %s body field as JSON text',
    (source) => {
      // Act + Assess
      expect(readCloudEventBody(aCloudEvent(source, aMessage()), 0)).toEqual(aMessage())
    },
  )

  it('takes Kafka’s JSON format, already parsed', () => {
    // Act + Assess
    expect(readCloudEventBody(aCloudEvent('kafka', aMessage(), 'k1', true), 0)).toEqual(aMessage())
  })

  it('decodes Kafka’s binary format from base64', () => {
    // Prepare
    const value = Buffer.from(JSON.stringify(aMessage())).toString('base64')

    // Act + Assess
    expect(readCloudEventBody(aCloudEvent('kafka', value), 0)).toEqual(aMessage())
  })

  it.each([
    [
      'a body that is not JSON',
      aCloudEvent('mns', 'not json at all', 'e1'),
      /e1" \(index 2\): data.messageBody is not JSON/,
    ],
    [
      'an unknown source type',
      { ...aCloudEvent('mns', aMessage(), 'e2'), type: 'oss:ObjectCreated:PutObject' },
      /e2" \(index 2\) has an unsupported type/,
    ],
    [
      'no body',
      { ...aCloudEvent('mns', aMessage(), 'e3'), data: {} },
      /e3" \(index 2\) has no data.messageBody/,
    ],
    ['no data', { ...aCloudEvent('mns', aMessage(), 'e4'), data: undefined }, /e4" \(index 2\) has no data/],
    [
      'an unknown type of 100,000 characters, by its start and length',
      { ...aCloudEvent('mns', aMessage(), 'e6'), type: `oss:${'t'.repeat(100_000)}` },
      /^CloudEvent "e6" \(index 2\) has an unsupported type "oss:t{60}…\(100004 characters\)"$/,
    ],
    ['null', null, /^The element at index 2 is not a CloudEvent/],
    ['a number', 12, /^The element at index 2 is not a CloudEvent/],
    ['an array', [aCloudEvent('mns', aMessage())], /^The element at index 2 is not a CloudEvent/],
    [
      'an object without type, by its id',
      { ...aCloudEvent('mns', aMessage(), 'e5'), type: undefined },
      /^The element at index 2 \(id "e5"\) is not a CloudEvent/,
    ],
    [
      'a CloudEvent without an id, by its index',
      { ...aCloudEvent('mns', 'not json'), id: undefined },
      /^CloudEvent at index 2: data.messageBody is not JSON/,
    ],
    [
      'a CloudEvent whose id is not text, by its index',
      { ...aCloudEvent('mns', aMessage()), id: 7, type: 'x' },
      /^CloudEvent at index 2 has an unsupported type "x"/,
    ],
  ])('refuses %s, naming the event', (_, event, message) => {
    // Act
    const act = () => readCloudEventBody(event, 2)

    // Assess
    expect(act).toThrow(InvalidRequestError)
    expect(act).toThrow(message)
  })
})

describe('reading an HTTP body', () => {
  it('decodes a base64-encoded body', () => {
    // Prepare
    const body = Buffer.from(JSON.stringify(aMessage())).toString('base64')

    // Act + Assess
    expect(bodyOf(anHttpEvent(body, { isBase64Encoded: true }))).toEqual(aMessage())
  })

  it.each(['GET', 'PUT', 'DELETE', 'OPTIONS'])('refuses %s with 405', (method) => {
    // Act
    const act = () => bodyOf(anHttpEvent(aMessage(), { method }))

    // Assess
    expect(act).toThrow(MethodNotAllowedError)
  })

  it.each([
    ['malformed JSON', '{"productKey":', /not valid JSON/],
    ['an empty body', '', /empty/],
  ])('refuses %s with 400', (_, body, message) => {
    // Act
    const act = () => bodyOf(anHttpEvent(body))

    // Assess
    expect(act).toThrow(InvalidRequestError)
    expect(act).toThrow(message)
  })
})

describe('HTTP helpers', () => {
  it('finds a header whatever the case of its name', () => {
    // Act + Assess
    expect(
      headerValue(anHttpEvent('', { headers: { 'CONTENT-type': 'application/json' } }), 'Content-Type'),
    ).toBe('application/json')
  })

  it('answers JSON in FC’s response shape', () => {
    // Act + Assess
    expect(jsonResponse(201, { a: 1 }, { 'retry-after': '1' })).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' },
      body: '{"a":1}',
      isBase64Encoded: false,
    })
  })
})
