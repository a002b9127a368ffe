import { describe, expect, it } from 'vitest'
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../../lib/errors.js'
import { readHttpBody } from '../../../lib/triggers/http.js'
import { anHttpEvent } from '../../helpers/factories.js'

function withType(contentType: string | undefined, body = '{"a":1}') {
  const event = anHttpEvent(body)
  event.headers = contentType === undefined ? {} : { 'Content-Type': contentType }
  return event
}

describe('readHttpBody', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'application/vnd.iot+json',
    'Application/JSON',
  ])('accepts %s', (contentType) => {
    // Act + Assess
    expect(readHttpBody(withType(contentType), 1_000)).toEqual({ a: 1 })
  })

  it('accepts a body without a content type as JSON', () => {
    // Act + Assess
    expect(readHttpBody(withType(undefined), 1_000)).toEqual({ a: 1 })
  })

  it.each([
    'application/x-www-form-urlencoded',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    'application/jsonp',
  ])('refuses %s with 415', (contentType) => {
    // Act + Assess
    expect(() => readHttpBody(withType(contentType), 1_000)).toThrow(UnsupportedMediaTypeError)
  })

  it('refuses a body over the cap with 413 before parsing it', () => {
    // Prepare: not JSON, so a parse would have answered 400
    const event = withType('application/json', `{${'x'.repeat(2_000)}`)

    // Act + Assess
    expect(() => readHttpBody(event, 1_000)).toThrow(PayloadTooLargeError)
  })

  it('refuses invalid UTF-8 with 400 rather than replacing it', () => {
    // Prepare
    const event = {
      ...withType('application/json'),
      body: Buffer.from([0x22, 0xff, 0xfe, 0x22]).toString('base64'),
      isBase64Encoded: true,
    }

    // Act + Assess
    expect(() => readHttpBody(event, 1_000)).toThrow(InvalidRequestError)
    expect(() => readHttpBody(event, 1_000)).toThrow('not valid UTF-8')
  })

  it('accepts valid UTF-8 that spells U+FFFD itself', () => {
    // Prepare
    const event = {
      ...withType('application/json'),
      body: Buffer.from('"\uFFFD"', 'utf8').toString('base64'),
      isBase64Encoded: true,
    }

    // Act + Assess
    expect(readHttpBody(event, 1_000)).toBe('\uFFFD')
  })
})
