import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  InternalError,
  InvalidRequestError,
  MessageRejectedError,
  ThrottledError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../../lib/errors.js'
import { translatePubError } from '../../../lib/iot/pub-errors.js'
import { PubExchangeError } from '../../../lib/iot/pub-transport.js'

// The only codes that make a message a refusal no retry cures (compared case-insensitively).
const MESSAGE_CODES = [
  'iot.device.NotExistedDevice',
  'iot.device.InactiveDevice',
  'iot.prod.NotExistedProduct',
  'iot.messagebroker.InvalidFormattedTopicName',
  'iot.messagebroker.NullMessageContent',
  'iot.messagebroker.MessageContentIsNotBase64Encode',
  'InvalidParameter',
].map((code) => code.toLowerCase())

// What pop-core throws for an answer with a Code: an Error with code, data and entry.
function popCoreError(code: string, statusCode: number, data: Record<string, unknown> = {}) {
  return Object.assign(new Error(`undefined, URL: https://iot.cn-shanghai.aliyuncs.com/`), {
    name: `${code}Error`,
    code,
    data: { Code: code, ...data },
    entry: { response: { statusCode } },
  })
}

describe('translatePubError', () => {
  it.each([
    ['Throttling', 503, ThrottledError, 429],
    ['Throttling.User', 400, ThrottledError, 429],
    ['Throttling.Api', 429, ThrottledError, 429],
    ['iot.messagebroker.RateLimit', 200, ThrottledError, 429],
    ['ServiceUnavailable', 503, UpstreamUnavailableError, 503],
    ['InternalError', 500, UpstreamUnavailableError, 503],
    ['iot.system.SystemException', 200, UpstreamUnavailableError, 503],
    ['iot.messagebroker.PublishMessageException', 200, UpstreamUnavailableError, 503],
    ['iot.messagebroker.TIMEOUT', 200, UpstreamTimeoutError, 504],
    ['InvalidAccessKeyId.NotFound', 404, UpstreamRejectedError, 502],
    ['InvalidAccessKeyId.Inactive', 400, UpstreamRejectedError, 502],
    ['SignatureDoesNotMatch', 400, UpstreamRejectedError, 502],
    ['InvalidSecurityToken.Expired', 400, UpstreamRejectedError, 502],
    ['InvalidTimeStamp.Expired', 400, UpstreamRejectedError, 502],
    ['SignatureNonceUsed', 400, UpstreamRejectedError, 502],
    ['iot.system.InstanceNotFound', 200, UpstreamRejectedError, 502],
    ['iot.Sre.IotInstanceNotFound', 200, UpstreamRejectedError, 502],
    ['iot.common.RamActionPermissionDeny', 200, UpstreamRejectedError, 502],
    ['iot.device.NotExistedDevice', 200, MessageRejectedError, 404],
    ['iot.prod.NotExistedProduct', 200, MessageRejectedError, 404],
    ['iot.messagebroker.InvalidFormattedTopicName', 200, MessageRejectedError, 422],
    ['iot.messagebroker.NullMessageContent', 200, MessageRejectedError, 422],
    ['iot.messagebroker.MessageContentIsNotBase64Encode', 200, MessageRejectedError, 422],
    ['IOT.MESSAGEBROKER.NULLMESSAGECONTENT', 200, MessageRejectedError, 422],
    ['InvalidParameter', 400, MessageRejectedError, 422],
    ['IncompleteSignature', 400, UpstreamRejectedError, 502],
    ['InvalidProtocol.NeedSsl', 400, UpstreamRejectedError, 502],
    ['InvalidVersion', 400, UpstreamRejectedError, 502],
    ['InvalidAction.NotFound', 404, UpstreamRejectedError, 502],
    ['NoPermission', 403, UpstreamRejectedError, 502],
    ['Forbidden.RAM', 403, UpstreamRejectedError, 502],
    ['MissingParameter', 400, UpstreamRejectedError, 502],
    ['iot.system.UidNotFound', 200, UpstreamRejectedError, 502],
    ['Iot.system.BillIsOverDue', 200, UpstreamRejectedError, 502],
    ['iot.system.billisoverdue', 200, UpstreamRejectedError, 502],
    ['throttling.user', 400, ThrottledError, 429],
    // Short spellings are not IoT's codes: nothing known refuses the message for them.
    ['NullMessageContent', 200, UpstreamUnavailableError, 503],
    ['MessageContentIsNotBase64Encode', 200, UpstreamUnavailableError, 503],
    // Platform facts: never retry an inactive device.
    ['iot.device.InactiveDevice', 200, MessageRejectedError, 422],
    ['iot.messagebroker.PublishMessageFailed', 200, UpstreamUnavailableError, 503],
    ['Some.Unknown.Code', 400, UpstreamUnavailableError, 503],
    ['Some.Unknown.Code', 404, UpstreamUnavailableError, 503],
    ['Some.Unknown.Code', 502, UpstreamUnavailableError, 503],
  ])('classifies %s (HTTP %i) by its code', (code, httpStatus, type, status) => {
    // Act
    const error = translatePubError(popCoreError(code, httpStatus))

    // Assess
    expect(error).toBeInstanceOf(type)
    expect(error.status).toBe(status)
  })

  it('keeps IoT’s code and explanation for a rejected message', () => {
    // Act
    const error = translatePubError(
      popCoreError('iot.device.NotExistedDevice', 200, { ErrorMessage: 'The device does not exist.' }),
    )

    // Assess
    expect(error.toBody()).toEqual({
      code: 'iot.device.NotExistedDevice',
      message: 'The device does not exist.',
      details: [],
    })
  })

  it('names IoT’s code beside UpstreamRejected', () => {
    // Act
    const error = translatePubError(popCoreError('SignatureDoesNotMatch', 400))

    // Assess
    expect(error.toBody()).toMatchObject({ code: 'UpstreamRejected', iotCode: 'SignatureDoesNotMatch' })
  })

  it.each([
    ['ENOTFOUND', false],
    ['EAI_AGAIN', false],
    ['EAI_FAIL', false],
    ['ECONNREFUSED', false],
    ['ENETUNREACH', false],
    ['EHOSTUNREACH', false],
    ['EHOSTDOWN', false],
    ['EADDRNOTAVAIL', false],
    ['ERR_TLS_CERT_ALTNAME_INVALID', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', false],
    ['SELF_SIGNED_CERT_IN_CHAIN', false],
    ['CERT_HAS_EXPIRED', false],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', false],
    ['EPROTO', false],
    ['ERR_SSL_WRONG_VERSION_NUMBER', false],
    ['ECONNRESET', true],
    ['EPIPE', true],
    ['ETIMEDOUT', true],
    ['HPE_INVALID_CONSTANT', true],
    ['HPE_HEADER_OVERFLOW', true],
    ['Z_DATA_ERROR', true],
    ['Z_BUF_ERROR', true],
  ])(
    'treats a network error %s without the transport as unavailability (may have published: %s)',
    (code, maybe) => {
      // Act
      const error = translatePubError(Object.assign(new Error('socket failed'), { code }))

      // Assess
      expect(error.status).toBe(503)
      expect(error.retryable).toBe(true)
      expect(error.mayHavePublished === true).toBe(maybe)
    },
  )

  it.each([
    ['ConnectTimeout', false, UpstreamUnavailableError],
    ['ENOTFOUND', false, UpstreamUnavailableError],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', false, UpstreamUnavailableError],
    ['ResponseTimeout', true, UpstreamTimeoutError],
    ['ECONNRESET', true, UpstreamUnavailableError],
    ['ResponseTooLarge', true, UpstreamUnavailableError],
    ['InvalidResponse', true, UpstreamUnavailableError],
    ['NetworkError', true, UpstreamUnavailableError],
  ] as const)('takes the transport’s word on %s: may have published %s', (code, maybe, type) => {
    // Act
    const error = translatePubError(new PubExchangeError(code, maybe))

    // Assess
    expect(error).toBeInstanceOf(type)
    expect(error.iotCode).toBe(code)
    expect(error.mayHavePublished === true).toBe(maybe)
  })

  it('treats httpx’s request timeout as a call that may have published', () => {
    // Act
    const error = translatePubError(
      Object.assign(new Error('ReadTimeout(3000)'), { name: 'RequestTimeoutError' }),
    )

    // Assess
    expect(error).toBeInstanceOf(UpstreamTimeoutError)
    expect(error.mayHavePublished).toBe(true)
  })

  it('treats IoT’s broker timeout as a call that may have published', () => {
    // Act
    const error = translatePubError(popCoreError('iot.messagebroker.TIMEOUT', 200))

    // Assess
    expect(error.status).toBe(504)
    expect(error.mayHavePublished).toBe(true)
  })

  it('treats the plain object pop-core throws for a body it cannot parse as unavailability', () => {
    // Act
    const error = translatePubError({
      name: 'SyntaxError',
      message: 'Unexpected token <',
      text: '{<html>502</html>',
    })

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError)
    expect(error.iotCode).toBe('InvalidResponse')
    expect(error.mayHavePublished).toBe(true)
  })

  it('refuses a message signing could not encode (a lone surrogate) as the caller’s fault', () => {
    // Act
    const error = translatePubError(new URIError('URI malformed'))

    // Assess
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect(error.retryable).toBe(false)
  })

  it('hides any other error from before the call behind a generic internal error', () => {
    // Act
    const error = translatePubError(new TypeError('boom'))

    // Assess
    expect(error).toBeInstanceOf(InternalError)
    expect(error.message).toBe('The gateway failed unexpectedly')
  })

  it('never echoes POP’s text quoting the string to sign, even under a message code', () => {
    // Act
    const error = translatePubError(
      popCoreError('InvalidParameter', 400, {
        Message: 'Bad. server string to sign is:POST&%2F&SecurityToken%3DCAIS%252Bx',
      }),
    )

    // Assess
    expect(error.message).toBe('IoT Platform rejected the message (InvalidParameter)')
  })

  it('never echoes IoT’s text when it quotes a token: a key secret, a signature, an STS token', () => {
    const base64Character = fc.constantFrom(
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='.split(''),
    )
    fc.assert(
      fc.property(fc.string({ unit: base64Character, minLength: 20, maxLength: 64 }), (token) => {
        // Act: a short explanation under a message code, with a credential-like value in it
        const error = translatePubError(
          popCoreError('InvalidParameter', 400, { Message: `The value "${token}" is not valid.` }),
        )

        // Assess
        expect(error.message).not.toContain(token)
        expect(error.message).toBe('IoT Platform rejected the message (InvalidParameter)')
      }),
    )
  })

  it('never makes an unknown code a refusal of the message, whatever its HTTP status', () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 40 })
          .filter((code) => !MESSAGE_CODES.includes(code.toLowerCase())),
        fc.integer({ min: 100, max: 599 }),
        (code, status) => {
          // Act
          const error = translatePubError(popCoreError(code, status))

          // Assess
          expect(error.retryable).toBe(true)
          expect([404, 422]).not.toContain(error.status)
        },
      ),
      {
        numRuns: 1000,
        examples: [
          ['Some.Unknown', 400],
          ['iot.messagebroker.OFFLINE', 200],
        ],
      },
    )
  })

  it('never makes a network failure a refusal, whatever its code and whether it was sent', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.stringMatching(/^E[A-Z_]{2,20}$/),
          fc.stringMatching(/^(?:HPE|Z|ERR_TLS|ERR_SSL)_[A-Z_]{1,20}$/),
          fc.string({ maxLength: 30 }).filter((code) => !MESSAGE_CODES.includes(code.toLowerCase())),
        ),
        fc.boolean(),
        fc.boolean(),
        (code, maybe, throughTransport) => {
          // Act
          const thrown = throughTransport
            ? new PubExchangeError(code, maybe)
            : Object.assign(new Error('failed'), { code })
          const error = translatePubError(thrown)

          // Assess
          expect(error.retryable).toBe(true)
          expect(error.status).toBeGreaterThanOrEqual(500)
        },
      ),
      { numRuns: 1000 },
    )
  })

  it.each([
    ['0', 0],
    ['-5', undefined],
    ['Infinity', undefined],
    ['1e400', undefined],
    ['soon', undefined],
    ['', undefined],
    ['3', 3_000],
    ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
  ])('reads Retry-After %j as %s ms', (header, expected) => {
    // Act
    const error = translatePubError({
      ...popCoreError('Throttling.User', 429),
      entry: { response: { statusCode: 429, headers: { 'retry-after': header } } },
    })

    // Assess
    expect(error.retryAfterMs).toBe(expected)
  })

  it('never copies pop-core’s message, which embeds the request URL', () => {
    // Act
    const error = translatePubError(popCoreError('Throttling.User', 400))

    // Assess
    expect(JSON.stringify(error.toBody())).not.toContain('URL')
  })
})
