import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidRequestError } from '../../../lib/errors.js'
import type { FcHttpEvent } from '../../../lib/fc/types.js'
import { readInboundBody, recognizeInbound } from '../../../lib/triggers/inbound.js'
import { isInvokeApiEvent } from '../../../lib/triggers/invoke-api.js'
import { anInvokeApiEvent } from '../../helpers/events.js'
import { aMessage, asFcEvent } from '../../helpers/factories.js'

const origin = { accountId: '1234567890', region: 'cn-shanghai' }
const API_DOMAIN = '1234567890.cn-shanghai.fc.aliyuncs.com'
const TRIGGER_DOMAIN = 'iot-pub-gateway-abcdefghij.cn-shanghai.fcapp.run'

describe('an InvokeFunction call in the HTTP shape', () => {
  it('is a direct invocation whatever its content type, its payload the body', () => {
    // Act
    const inbound = recognizeInbound(asFcEvent(anInvokeApiEvent(JSON.stringify(aMessage()))), origin)

    // Assess
    expect(inbound.kind).toBe('direct')
    expect(inbound.kind === 'direct' && readInboundBody(inbound, 100)).toEqual(aMessage())
  })

  it('carries a batch as a batch', () => {
    // Prepare
    const batch = { messages: [aMessage(), aMessage({ topic: 'b' })] }

    // Act
    const inbound = recognizeInbound(asFcEvent(anInvokeApiEvent(JSON.stringify(batch))), origin)

    // Assess
    expect(inbound.kind === 'direct' && readInboundBody(inbound, 100)).toEqual(batch)
  })

  it('decodes a body FC passed in base64', () => {
    // Prepare
    const event = {
      ...anInvokeApiEvent(Buffer.from(JSON.stringify(aMessage())).toString('base64')),
      isBase64Encoded: true,
    }

    // Act
    const inbound = recognizeInbound(asFcEvent(event), origin)

    // Assess
    expect(inbound.kind === 'direct' && readInboundBody(inbound, 100)).toEqual(aMessage())
  })

  it('reports a body that is not JSON as a malformed invocation payload', () => {
    // Act
    const inbound = recognizeInbound(asFcEvent(anInvokeApiEvent('haha')), origin)

    // Assess
    expect(inbound.kind).toBe('direct')
    expect(() => inbound.kind === 'direct' && readInboundBody(inbound, 100)).toThrow(InvalidRequestError)
  })

  it.each([
    ['FC 2.0’s path with a service', '/2016-08-15/services/default/functions/iot-pub-gateway/invocations'],
    ['a migrated service$function name', '/2023-03-30/functions/svc$fn/invocations'],
  ])('is recognised on %s', (_, rawPath) => {
    // Act + Assess
    expect(isInvokeApiEvent(anInvokeApiEvent('{}', { rawPath }), origin)).toBe(true)
  })

  it.each([
    ['the VPC endpoint', '1234567890.cn-shanghai-internal.fc.aliyuncs.com', origin],
    ['an upper-cased domain', '1234567890.CN-SHANGHAI.FC.ALIYUNCS.COM', origin],
    ['no region in the context, any region id', '1234567890.ap-southeast-1.fc.aliyuncs.com', {}],
  ])('is recognised through %s', (_, domainName, context) => {
    // Act + Assess
    expect(isInvokeApiEvent(anInvokeApiEvent('{}', { domainName }), context)).toBe(true)
  })
})

describe('a look-alike that FC did not route through its invoke API', () => {
  const lookAlike = (overrides: Parameters<typeof anInvokeApiEvent>[1] = {}) =>
    anInvokeApiEvent(JSON.stringify(aMessage()), { domainName: TRIGGER_DOMAIN, ...overrides })

  it.each<[string, FcHttpEvent]>([
    ['the trigger URL’s domain', lookAlike()],
    ['a custom domain', lookAlike({ domainName: 'iot.example.com' })],
    ['a Host header naming the API domain', lookAlike({ headers: { Host: API_DOMAIN, host: API_DOMAIN } })],
    ['an X-Forwarded-Host naming the API domain', lookAlike({ headers: { 'X-Forwarded-Host': API_DOMAIN } })],
    [
      'another account’s API domain',
      anInvokeApiEvent('{}', { domainName: '999.cn-shanghai.fc.aliyuncs.com' }),
    ],
    [
      'another region’s API domain',
      anInvokeApiEvent('{}', { domainName: '1234567890.cn-hangzhou.fc.aliyuncs.com' }),
    ],
    ['a domain that only ends like the API’s', anInvokeApiEvent('{}', { domainName: `evil.${API_DOMAIN}` })],
    [
      'a domain that only starts like the API’s',
      anInvokeApiEvent('{}', { domainName: `${API_DOMAIN}.evil.com` }),
    ],
    ['the API domain with a port', anInvokeApiEvent('{}', { domainName: `${API_DOMAIN}:443` })],
    ['the API domain but another path', anInvokeApiEvent('{}', { rawPath: '/' })],
    [
      'the API domain and a path that only contains the invoke path',
      anInvokeApiEvent('{}', { rawPath: '/x/2023-03-30/functions/f/invocations' }),
    ],
    [
      'the API domain and an encoded slash in the function name',
      anInvokeApiEvent('{}', { rawPath: '/2023-03-30/functions/a/b/invocations' }),
    ],
    [
      'a non-numeric account',
      anInvokeApiEvent('{}', { accountId: 'local', domainName: 'local.cn-shanghai.fc.aliyuncs.com' }),
    ],
  ])('stays an HTTP trigger request: %s', (_, event) => {
    // Act + Assess
    expect(recognizeInbound(asFcEvent(event), origin).kind).toBe('http')
  })

  it('stays an HTTP trigger request when the event’s account differs from the context’s', () => {
    // Prepare: domain and requestContext agree with each other, not with FC's context
    const event = anInvokeApiEvent('{}', { accountId: '999' })

    // Act + Assess
    expect(isInvokeApiEvent(event, origin)).toBe(false)
  })

  it('stays an HTTP trigger request, without throwing, when rawPath is missing', () => {
    // Prepare
    const { rawPath: _, ...event } = anInvokeApiEvent('{}')

    // Act + Assess
    expect(recognizeInbound(asFcEvent(event), origin).kind).toBe('http')
  })

  it('stays an HTTP trigger request for any method but POST', () => {
    // Prepare
    const event = anInvokeApiEvent('{}')
    event.requestContext.http.method = 'GET'

    // Act + Assess
    expect(isInvokeApiEvent(event, origin)).toBe(false)
  })

  it('is never taken for the invoke API whatever headers, path and body a caller sends to the trigger URL', () => {
    // A caller of the trigger URL controls every header, the path and the body, never domainName.
    const header = fc.constantFrom(
      'Host',
      'X-Forwarded-Host',
      'X-Acs-Action',
      'Authorization',
      'Forwarded',
      'X-Fc-Account-Id',
    )
    fc.assert(
      fc.property(
        fc.dictionary(header, fc.oneof(fc.constant(API_DOMAIN), fc.constant('InvokeFunction'), fc.string())),
        fc.oneof(fc.constant('/2023-03-30/functions/iot-pub-gateway/invocations'), fc.webPath()),
        fc.oneof(
          fc.constant(TRIGGER_DOMAIN),
          fc.domain().filter((domain) => !domain.endsWith('.fc.aliyuncs.com')),
        ),
        (headers, rawPath, domainName) => {
          const event = anInvokeApiEvent('{}', { headers, rawPath, domainName })
          return recognizeInbound(asFcEvent(event), origin).kind === 'http'
        },
      ),
    )
  })
})
