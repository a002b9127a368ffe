import { describe, expect, it } from 'vitest'
import { InvalidRequestError, MethodNotAllowedError } from '../../../lib/errors.js'
import { headerValue, jsonResponse } from '../../../lib/triggers/http.js'
import { readInboundBody, recognizeInbound } from '../../../lib/triggers/inbound.js'
import { aMessage, anHttpEvent, asFcEvent } from '../../helpers/factories.js'

describe('recognizeInbound', () => {
  it('recognises an HTTP trigger event by version v1 and requestContext.http', () => {
    // Act
    const inbound = recognizeInbound(asFcEvent(anHttpEvent(aMessage())))

    // Assess
    expect(inbound.kind).toBe('http')
  })

  it('takes any other JSON as a direct invocation', () => {
    // Act
    const inbound = recognizeInbound(asFcEvent(aMessage()))

    // Assess
    expect(inbound.kind).toBe('direct')
    expect(readInboundBody(inbound)).toEqual(aMessage())
  })

  it('takes text that is not JSON as a direct invocation with a malformed payload', () => {
    // Act
    const inbound = recognizeInbound(Buffer.from('{not json'))

    // Assess
    expect(inbound.kind).toBe('direct')
    expect(() => readInboundBody(inbound)).toThrow(InvalidRequestError)
  })

  it('accepts an already-parsed object', () => {
    // Act + Assess
    expect(readInboundBody(recognizeInbound(aMessage()))).toEqual(aMessage())
  })
})

describe('reading an HTTP body', () => {
  it('decodes a base64-encoded body', () => {
    // Prepare
    const body = Buffer.from(JSON.stringify(aMessage())).toString('base64')

    // Act
    const value = readInboundBody(recognizeInbound(anHttpEvent(body, { isBase64Encoded: true })))

    // Assess
    expect(value).toEqual(aMessage())
  })

  it.each(['GET', 'PUT', 'DELETE', 'OPTIONS'])('refuses %s with 405', (method) => {
    // Act
    const act = () => readInboundBody(recognizeInbound(anHttpEvent(aMessage(), { method })))

    // Assess
    expect(act).toThrow(MethodNotAllowedError)
  })

  it.each([
    ['malformed JSON', '{"productKey":', /not valid JSON/],
    ['an empty body', '', /empty/],
  ])('refuses %s with 400', (_, body, message) => {
    // Act
    const act = () => readInboundBody(recognizeInbound(anHttpEvent(body)))

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
