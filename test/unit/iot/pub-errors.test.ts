import { describe, expect, it } from 'vitest'
import {
  InternalError,
  MessageRejectedError,
  ThrottledError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../../lib/errors.js'
import { translatePubError } from '../../../lib/iot/pub-errors.js'

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
    ['iot.device.InactiveDevice', 200, MessageRejectedError, 422],
    ['iot.messagebroker.InvalidFormattedTopicName', 200, MessageRejectedError, 422],
    ['MessageContentIsNotBase64Encode', 200, MessageRejectedError, 422],
    ['InvalidParameter', 400, MessageRejectedError, 422],
    ['Some.Unknown.Code', 400, MessageRejectedError, 422],
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

  it.each(['ECONNRESET', 'ECONNREFUSED', 'EPIPE'])('treats a network error %s as unavailability', (code) => {
    // Act
    const error = translatePubError(Object.assign(new Error('socket hang up'), { code }))

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError)
    expect(error.retryable).toBe(true)
  })

  it('treats pop-core’s request timeout as a timeout', () => {
    // Act
    const error = translatePubError(
      Object.assign(new Error('ReadTimeout(3000)'), { name: 'RequestTimeoutError' }),
    )

    // Assess
    expect(error).toBeInstanceOf(UpstreamTimeoutError)
  })

  it('treats the plain object pop-core throws for a non-JSON body as unavailability', () => {
    // Act
    const error = translatePubError({
      name: 'SyntaxError',
      message: 'Unexpected token <',
      text: '<html>502</html>',
    })

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError)
    expect(error.iotCode).toBe('InvalidResponse')
  })

  it('hides anything else behind a generic internal error', () => {
    // Act
    const error = translatePubError(new TypeError('boom'))

    // Assess
    expect(error).toBeInstanceOf(InternalError)
    expect(error.message).toBe('The gateway failed unexpectedly')
  })

  it('never copies pop-core’s message, which embeds the request URL', () => {
    // Act
    const error = translatePubError(popCoreError('Throttling.User', 400))

    // Assess
    expect(JSON.stringify(error.toBody())).not.toContain('URL')
  })
})
