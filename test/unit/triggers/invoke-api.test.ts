import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidRequestError } from '../../../lib/errors.js'
import type { FcHttpEvent } from '../../../lib/fc/types.js'
import { readInboundBody, recognizeInbound } from '../../../lib/triggers/inbound.js'
import { isInvokeApiEvent } from '../../../lib/triggers/invoke-api.js'
import { aCloudEvent, anInvokeApiEvent, aTimerEvent } from '../../helpers/events.js'
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
    ['the VPC endpoint in lower case', '1234567890.CN-SHANGHAI-INTERNAL.fc.aliyuncs.com', origin],
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

describe('an InvokeFunction call when FC’s context does not say where the function runs', () => {
  // The event must not vouch for itself: without the context's account and region nothing is FC's.
  it.each<[string, { accountId?: string; region?: string }]>([
    ['no context at all', {}],
    ['no account in the context', { region: 'cn-shanghai' }],
    ['an empty account in the context', { accountId: '', region: 'cn-shanghai' }],
    ['no region in the context', { accountId: '1234567890' }],
    ['an empty region in the context', { accountId: '1234567890', region: '' }],
  ])('stays an HTTP trigger request with %s', (_, context) => {
    // Prepare: an event that agrees with itself in every field
    const event = anInvokeApiEvent(JSON.stringify(aMessage()))

    // Act + Assess
    expect(recognizeInbound(asFcEvent(event), context).kind).toBe('http')
  })

  it('stays an HTTP trigger request when the event names no account of its own', () => {
    // Prepare
    const event = anInvokeApiEvent('{}')
    delete event.requestContext.accountId

    // Act + Assess
    expect(isInvokeApiEvent(event, origin)).toBe(false)
  })

  it('is never taken for the invoke API, whatever the event says, when the context lacks account or region', () => {
    fc.assert(
      fc.property(
        fc.record({ accountId: fc.option(fc.stringMatching(/^\d{1,12}$/), { nil: undefined }) }),
        fc.stringMatching(/^\d{1,12}$/),
        fc.constantFrom('cn-shanghai', 'cn-hangzhou', 'ap-southeast-1'),
        (context, account, region) => {
          const event = anInvokeApiEvent('{}', {
            accountId: account,
            domainName: `${account}.${region}.fc.aliyuncs.com`,
          })
          return recognizeInbound(asFcEvent(event), context).kind === 'http'
        },
      ),
    )
  })
})

describe('an invoke look-alike spelt differently from FC’s own', () => {
  it.each<[string, FcHttpEvent]>([
    ['a trailing dot on the API domain', anInvokeApiEvent('{}', { domainName: `${API_DOMAIN}.` })],
    [
      'a Kelvin sign (U+212A) that lower-cases to k',
      anInvokeApiEvent('{}', { domainName: '1234567890.cn-hong\u212Aong.fc.aliyuncs.com' }),
    ],
    [
      'a full-width dot',
      anInvokeApiEvent('{}', { domainName: '1234567890.cn-shanghai.fc\uff0ealiyuncs.com' }),
    ],
    [
      'a Cyrillic a in aliyuncs',
      anInvokeApiEvent('{}', { domainName: '1234567890.cn-shanghai.fc.\u0430liyuncs.com' }),
    ],
    [
      'a percent-encoded slash in rawPath',
      anInvokeApiEvent('{}', { rawPath: '/2023-03-30/functions/iot-pub-gateway%2Finvocations' }),
    ],
    [
      'an upper-cased invoke path',
      anInvokeApiEvent('{}', { rawPath: '/2023-03-30/FUNCTIONS/f/INVOCATIONS' }),
    ],
    ['a trailing slash', anInvokeApiEvent('{}', { rawPath: '/2023-03-30/functions/f/invocations/' })],
    ['a query in rawPath', anInvokeApiEvent('{}', { rawPath: '/2023-03-30/functions/f/invocations?x=1' })],
  ])('stays an HTTP trigger request: %s', (_, event) => {
    // Act + Assess
    expect(recognizeInbound(asFcEvent(event), { ...origin, region: 'cn-hongkong' }).kind).toBe('http')
    expect(recognizeInbound(asFcEvent(event), origin).kind).toBe('http')
  })

  it('is decided on rawPath, not on the decoded requestContext.http.path', () => {
    // Prepare: the decoded path looks like the invoke path, rawPath does not
    const event = anInvokeApiEvent('{}', { rawPath: '/2023-03-30/functions/f%2Finvocations' })
    event.requestContext.http.path = '/2023-03-30/functions/f/invocations'

    // Act + Assess
    expect(isInvokeApiEvent(event, origin)).toBe(false)
  })
})

describe('the body of an InvokeFunction call in the HTTP shape', () => {
  it('is an EventBridge batch when it holds CloudEvents, so that a failed batch is redelivered', () => {
    // Prepare
    const events = [aCloudEvent('mns', aMessage(), 'e1'), aCloudEvent('mns', aMessage(), 'e2')]

    // Act
    const inbound = recognizeInbound(asFcEvent(anInvokeApiEvent(JSON.stringify(events))), origin)

    // Assess
    expect(inbound).toMatchObject({ kind: 'eventbridge', events: [{ id: 'e1' }, { id: 'e2' }] })
  })

  it('is one CloudEvent’s batch when it holds one', () => {
    // Act
    const inbound = recognizeInbound(
      asFcEvent(anInvokeApiEvent(JSON.stringify(aCloudEvent('kafka', aMessage(), 'k1')))),
      origin,
    )

    // Assess
    expect(inbound).toMatchObject({ kind: 'eventbridge', events: [{ id: 'k1' }] })
  })

  it('is a timer event when it holds one', () => {
    // Act
    const inbound = recognizeInbound(
      asFcEvent(anInvokeApiEvent(JSON.stringify(aTimerEvent(aMessage())))),
      origin,
    )

    // Assess
    expect(inbound.kind).toBe('timer')
  })

  it('is only a payload when it holds another HTTP event, so no nesting can reach a second check', () => {
    // Prepare
    const inner = anInvokeApiEvent(JSON.stringify(aMessage()))

    // Act
    const inbound = recognizeInbound(asFcEvent(anInvokeApiEvent(JSON.stringify(inner))), origin)

    // Assess
    expect(inbound.kind).toBe('direct')
    expect(inbound.kind === 'direct' && readInboundBody(inbound, 1e6)).toEqual(inner)
  })
})
