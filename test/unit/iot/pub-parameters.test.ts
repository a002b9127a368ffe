import { describe, expect, it } from 'vitest'
import { PayloadTooLargeError } from '../../../lib/errors.js'
import { toPubParameters } from '../../../lib/iot/pub-parameters.js'
import { aMessage } from '../../helpers/factories.js'

const settings = { maxPayloadBytes: 262_144 }
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64')

describe('toPubParameters', () => {
  it('composes a device topic and base64-encodes compact JSON', () => {
    // Act
    const parameters = toPubParameters(aMessage({ payload: { on: true, level: 3 } }), settings)

    // Assess
    expect(parameters).toEqual({
      ProductKey: 'a1Q5XoYtest',
      TopicFullName: '/a1Q5XoYtest/device1/user/get',
      MessageContent: base64('{"on":true,"level":3}'),
      Qos: '0',
    })
  })

  it.each([
    ['a string as its UTF-8 bytes', 'héllo ✓', base64('héllo ✓')],
    ['a number as JSON text', 42, base64('42')],
    ['null as JSON text', null, base64('null')],
    ['an array as compact JSON', [1, 'a'], base64('[1,"a"]')],
  ])('sends %s', (_, payload, content) => {
    // Act
    const parameters = toPubParameters(aMessage({ payload }), settings)

    // Assess
    expect(parameters.MessageContent).toBe(content)
  })

  it('passes payloadBase64 through as the raw bytes', () => {
    // Act
    const parameters = toPubParameters(
      { ...aMessage(), payload: undefined, payloadBase64: 'AAEC/w==' },
      settings,
    )

    // Assess
    expect(parameters.MessageContent).toBe('AAEC/w==')
  })

  it('keeps a full topic as given', () => {
    // Act
    const parameters = toPubParameters(
      { productKey: 'pk', topicFullName: '/broadcast/pk/all', payload: 'x' },
      settings,
    )

    // Assess
    expect(parameters.TopicFullName).toBe('/broadcast/pk/all')
  })

  it('adds the instance id only when configured', () => {
    // Act
    const withInstance = toPubParameters(aMessage(), { ...settings, iotInstanceId: 'iot-cn-123' })
    const without = toPubParameters(aMessage(), settings)

    // Assess
    expect(withInstance.IotInstanceId).toBe('iot-cn-123')
    expect(without).not.toHaveProperty('IotInstanceId')
  })

  it('maps QoS and every MQTT 5 property', () => {
    // Prepare
    const message = aMessage({
      qos: 1,
      responseTopic: 'reply',
      correlationData: 'req-42',
      userProperties: { a: '1', b: '2' },
    })

    // Act
    const parameters = toPubParameters(message, settings)

    // Assess
    expect(parameters).toMatchObject({
      Qos: '1',
      ResponseTopic: '/a1Q5XoYtest/device1/user/reply',
      CorrelationData: base64('req-42'),
      'UserProp.1.Key': 'a',
      'UserProp.1.Value': '1',
      'UserProp.2.Key': 'b',
      'UserProp.2.Value': '2',
    })
  })

  it('resolves a short response topic against the device of a full topic', () => {
    // Act
    const parameters = toPubParameters(
      { productKey: 'pk', topicFullName: '/pk/dev9/user/cmd', payload: 1, responseTopic: 'ack' },
      settings,
    )

    // Assess
    expect(parameters.ResponseTopic).toBe('/pk/dev9/user/ack')
  })

  it('never produces an undefined parameter', () => {
    // Act
    const parameters = toPubParameters(aMessage(), settings)

    // Assess
    expect(Object.values(parameters).every((value) => typeof value === 'string')).toBe(true)
  })

  it('accepts a payload of exactly the limit', () => {
    // Act
    const parameters = toPubParameters(aMessage({ payload: 'x'.repeat(100) }), { maxPayloadBytes: 100 })

    // Assess
    expect(Buffer.from(parameters.MessageContent ?? '', 'base64')).toHaveLength(100)
  })

  it('refuses one byte over the limit, counting UTF-8 bytes, with 413', () => {
    // Act
    const act = () => toPubParameters(aMessage({ payload: `${'x'.repeat(99)}é` }), { maxPayloadBytes: 100 })

    // Assess
    expect(act).toThrow(PayloadTooLargeError)
    expect(act).toThrow(
      expect.objectContaining({ status: 413, details: [expect.objectContaining({ pointer: '/payload' })] }),
    )
  })

  it('counts decoded bytes of payloadBase64, not its text', () => {
    // Prepare: 4 base64 characters carry 3 bytes
    const message = { ...aMessage(), payload: undefined, payloadBase64: 'AAAA' }

    // Act + Assess
    expect(() => toPubParameters(message, { maxPayloadBytes: 3 })).not.toThrow()
    expect(() => toPubParameters(message, { maxPayloadBytes: 2 })).toThrow(PayloadTooLargeError)
  })
})
