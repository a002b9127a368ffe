import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalHeaderName, type FcRequestOrigin, toFcHttpEvent } from '../../../dev/local/fc-http-event.js'

function aRequest(headers: Record<string, string | string[]>, url = '/publish?a=1&a=2') {
  const request = new IncomingMessage(new Socket())
  request.method = 'POST'
  request.url = url
  request.headers = headers as IncomingMessage['headers']
  // Node keeps each header's values apart here; FC comma-joins them.
  request.headersDistinct = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]),
  )
  return request
}

const trigger: FcRequestOrigin = {
  requestId: 'req-1',
  accountId: '1234567890',
  domainName: 'gw-local.cn-shanghai.fcapp.run',
  textBody: 'text-types',
  now: Date.UTC(2023, 8, 5, 6, 41, 11, 895),
}

describe('toFcHttpEvent', () => {
  it('passes a JSON body as text, as FC does', () => {
    // Act
    const event = toFcHttpEvent(
      aRequest({ 'content-type': 'application/json' }),
      Buffer.from('{"a":1}'),
      trigger,
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

  it('names headers as FC delivers them, first letters upper-cased', () => {
    // Act
    const event = toFcHttpEvent(
      aRequest({ 'content-type': 'application/json', 'x-fc-log-type': 'Tail', authorization: 'Bearer k' }),
      Buffer.alloc(0),
      trigger,
    )

    // Assess
    expect(event.headers).toEqual({
      'Content-Type': 'application/json',
      'X-Fc-Log-Type': 'Tail',
      Authorization: 'Bearer k',
    })
  })

  it('comma-joins repeated header values', () => {
    // Act
    const event = toFcHttpEvent(aRequest({ 'x-trace': ['a', 'b'] }), Buffer.alloc(0), trigger)

    // Assess
    expect(event.headers).toEqual({ 'X-Trace': 'a,b' })
  })

  it('writes time in ISO form, whole seconds, and timeEpoch in milliseconds', () => {
    // Act
    const { requestContext } = toFcHttpEvent(aRequest({}), Buffer.alloc(0), trigger)

    // Assess
    expect(requestContext).toMatchObject({ time: '2023-09-05T06:41:11Z', timeEpoch: '1693896071895' })
  })

  it('carries the request id, account and domain it is given, never the Host header', () => {
    // Act
    const { requestContext } = toFcHttpEvent(
      aRequest({ host: '1234567890.cn-shanghai.fc.aliyuncs.com', 'x-forwarded-host': 'evil' }),
      Buffer.alloc(0),
      trigger,
    )

    // Assess
    expect(requestContext).toMatchObject({
      requestId: 'req-1',
      accountId: '1234567890',
      domainName: 'gw-local.cn-shanghai.fcapp.run',
      domainPrefix: 'gw-local',
    })
  })

  it('base64-encodes a body of a binary type', () => {
    // Act
    const event = toFcHttpEvent(
      aRequest({ 'content-type': 'application/octet-stream' }),
      Buffer.from([0xff, 0x00]),
      trigger,
    )

    // Assess
    expect(event).toMatchObject({ body: '/wA=', isBase64Encoded: true })
  })

  it('never replaces bytes that are not UTF-8, even under a text type: they travel in base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        // Act
        const body = Buffer.from(bytes)
        const event = toFcHttpEvent(aRequest({ 'content-type': 'application/json' }), body, trigger)

        // Assess: the bytes come back exactly, whichever way they travelled
        const back = event.isBase64Encoded
          ? Buffer.from(event.body ?? '', 'base64')
          : Buffer.from(event.body ?? '', 'utf8')
        return back.equals(body)
      }),
    )
  })

  it('passes an InvokeFunction body sent as application/octet-stream as text when it is UTF-8', () => {
    // Act
    const event = toFcHttpEvent(
      aRequest({ 'content-type': 'application/octet-stream' }),
      Buffer.from('haha'),
      {
        ...trigger,
        textBody: 'utf8',
      },
    )

    // Assess
    expect(event).toMatchObject({ body: 'haha', isBase64Encoded: false })
  })

  it('comma-joins repeated query values', () => {
    // Act
    const event = toFcHttpEvent(aRequest({}), Buffer.alloc(0), trigger)

    // Assess
    expect(event.queryParameters).toEqual({ a: '1,2' })
  })

  it('keeps rawPath encoded and decodes http.path, leaving a malformed one as it came', () => {
    // Act
    const encoded = toFcHttpEvent(aRequest({}, '/a%20b'), Buffer.alloc(0), trigger)
    const malformed = toFcHttpEvent(aRequest({}, '/a%zz'), Buffer.alloc(0), trigger)

    // Assess
    expect([encoded.rawPath, encoded.requestContext.http.path]).toEqual(['/a%20b', '/a b'])
    expect(malformed.requestContext.http.path).toBe('/a%zz')
  })
})

describe('canonicalHeaderName', () => {
  it.each([
    ['content-type', 'Content-Type'],
    ['X-ACS-ACTION', 'X-Acs-Action'],
    ['x-fc-request-id', 'X-Fc-Request-Id'],
    ['host', 'Host'],
  ])('%s → %s', (name, canonical) => {
    // Act + Assess
    expect(canonicalHeaderName(name)).toBe(canonical)
  })
})
