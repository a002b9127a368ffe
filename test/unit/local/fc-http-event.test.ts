import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { toFcHttpEvent } from '../../../dev/local/fc-http-event.js'

function aRequest(headers: Record<string, string | string[]>, url = '/publish?a=1&a=2') {
  const request = new IncomingMessage(new Socket())
  request.method = 'POST'
  request.url = url
  request.headers = headers as IncomingMessage['headers']
  return request
}

describe('toFcHttpEvent', () => {
  it('passes a JSON body as text, as FC does', () => {
    // Act
    const event = toFcHttpEvent(
      aRequest({ 'content-type': 'application/json' }),
      Buffer.from('{"a":1}'),
      'local',
    )

    // Assess
    expect(event).toMatchObject({
      version: 'v1',
      rawPath: '/publish',
      body: '{"a":1}',
      isBase64Encoded: false,
    })
    expect(event.requestContext.http.method).toBe('POST')
  })

  it('base64-encodes a body that is not text', () => {
    // Act
    const event = toFcHttpEvent(
      aRequest({ 'content-type': 'application/octet-stream' }),
      Buffer.from([0xff, 0x00]),
      'local',
    )

    // Assess
    expect(event).toMatchObject({ body: '/wA=', isBase64Encoded: true })
  })

  it('comma-joins repeated query values', () => {
    // Act
    const event = toFcHttpEvent(aRequest({}), Buffer.alloc(0), 'local')

    // Assess
    expect(event.queryParameters).toEqual({ a: '1,2' })
  })
})
