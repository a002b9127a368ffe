import { describe, expect, it } from 'vitest'
import { findMessageProblems } from '../../../lib/message/validate.js'
import { aMessage } from '../../helpers/factories.js'

describe('findMessageProblems', () => {
  it.each([
    ['a device topic with a JSON payload', aMessage()],
    ['a multi-level short topic', aMessage({ topic: 'cmd/set_light/v2' })],
    ['a full device topic', { productKey: 'pk1', topicFullName: '/pk1/dev-1/user/get', payload: 'x' }],
    ['a broadcast topic', { productKey: 'pk1', topicFullName: '/broadcast/pk1/all', payload: 1 }],
    ['a null payload', aMessage({ payload: null })],
    ['a base64 payload', { ...aMessage(), payload: undefined, payloadBase64: 'AAEC/w==' }],
    [
      'qos 1 and every MQTT 5 property',
      aMessage({ qos: 1, responseTopic: 'reply', correlationData: 'req-42', userProperties: { k: 'v' } }),
    ],
    ['a full response topic', aMessage({ responseTopic: '/pk/other/user/reply' })],
    [
      'a short response topic whose full topic is exactly 128 characters',
      aMessage({ responseTopic: 'r'.repeat(128 - '/a1Q5XoYtest/device1/user/'.length) }),
    ],
    [
      '20 user properties',
      aMessage({ userProperties: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'])) }),
    ],
    ['a device name with the platform’s punctuation', aMessage({ deviceName: 'dev_1.a:b@c-d' })],
  ])('accepts %s', (_, message) => {
    // Act
    const problems = findMessageProblems(JSON.parse(JSON.stringify(message)))

    // Assess
    expect(problems).toEqual([])
  })

  it.each([
    ['productKey missing', { deviceName: 'd', topic: 't', payload: 1 }, '/productKey'],
    ['an unknown field', aMessage({ retain: true }), '/retain'],
    ['a typo of a field', aMessage({ qoss: 1 }), '/qoss'],
    ['qos 2', aMessage({ qos: 2 as 0 }), '/qos'],
    ['qos as a string', aMessage({ qos: '1' as unknown as 0 }), '/qos'],
    ['a topic with a wildcard', aMessage({ topic: 'cmd/#' }), '/topic'],
    ['a topic with an empty level', aMessage({ topic: 'cmd//x' }), '/topic'],
    ['a topic with a leading slash', aMessage({ topic: '/get' }), '/topic'],
    ['a topic with a space', aMessage({ topic: 'my topic' }), '/topic'],
    ['a device name with a slash', aMessage({ deviceName: 'a/b' }), '/deviceName'],
    ['a device name with a newline', aMessage({ deviceName: 'a\nb' }), '/deviceName'],
    ['a product key with a space', aMessage({ productKey: 'p k' }), '/productKey'],
    ['deviceName without topic', { productKey: 'pk', deviceName: 'd', payload: 1 }, '/topic'],
    ['topic without deviceName', { productKey: 'pk', topic: 'get', payload: 1 }, '/deviceName'],
    ['no topic at all', { productKey: 'pk', payload: 1 }, '/deviceName'],
    ['both topic forms', aMessage({ topicFullName: '/a1Q5XoYtest/device1/user/get' }), '/topicFullName'],
    [
      'a full topic of another product',
      { productKey: 'pk1', topicFullName: '/pk2/d/user/get', payload: 1 },
      '/topicFullName',
    ],
    [
      'a full topic with a wildcard',
      { productKey: 'pk1', topicFullName: '/pk1/+/user/get', payload: 1 },
      '/topicFullName',
    ],
    [
      'a full topic over 128 characters',
      { productKey: 'pk1', topicFullName: `/pk1/d/user/${'a'.repeat(120)}`, payload: 1 },
      '/topicFullName',
    ],
    ['a composed topic over 128 characters', aMessage({ topic: 'a'.repeat(120) }), '/topic'],
    [
      'a short response topic whose full topic is over 128 characters',
      aMessage({ responseTopic: 'r'.repeat(128 - '/a1Q5XoYtest/device1/user/'.length + 1) }),
      '/responseTopic',
    ],
    [
      'a short response topic over 128 characters composed with the device of a full topic',
      {
        productKey: 'pk',
        topicFullName: `/pk/${'d'.repeat(64)}/user/get`,
        payload: 1,
        responseTopic: 'r'.repeat(60),
      },
      '/responseTopic',
    ],
    ['an empty string payload', aMessage({ payload: '' }), '/payload'],
    ['an empty base64 payload', { ...aMessage(), payload: undefined, payloadBase64: '' }, '/payloadBase64'],
    ['no payload', { productKey: 'pk', deviceName: 'd', topic: 'get' }, '/payload'],
    ['both payload fields', aMessage({ payloadBase64: 'AA==' }), '/payloadBase64'],
    [
      'base64 with a bad character',
      { ...aMessage(), payload: undefined, payloadBase64: 'AA*=' },
      '/payloadBase64',
    ],
    ['base64 without padding', { ...aMessage(), payload: undefined, payloadBase64: 'AAE' }, '/payloadBase64'],
    [
      'base64 with stray bits',
      { ...aMessage(), payload: undefined, payloadBase64: 'AB==' },
      '/payloadBase64',
    ],
    ['url-safe base64', { ...aMessage(), payload: undefined, payloadBase64: '-_8=' }, '/payloadBase64'],
    ['a response topic with a wildcard', aMessage({ responseTopic: 'reply/#' }), '/responseTopic'],
    [
      'a short response topic on a broadcast',
      { productKey: 'pk', topicFullName: '/broadcast/pk/all', payload: 1, responseTopic: 'reply' },
      '/responseTopic',
    ],
    [
      'correlation data with a control character',
      aMessage({ correlationData: 'a\u0000b' }),
      '/correlationData',
    ],
    [
      'a user property that is a number',
      aMessage({ userProperties: { k: 1 as unknown as string } }),
      '/userProperties/k',
    ],
    [
      'a user property value with a newline',
      aMessage({ userProperties: { k: 'a\nb' } }),
      '/userProperties/k',
    ],
    [
      'a user property name with a control character',
      aMessage({ userProperties: { 'a\u0007': 'v' } }),
      '/userProperties/a\u0007',
    ],
    [
      '21 user properties',
      aMessage({ userProperties: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }),
      '/userProperties',
    ],
  ])('refuses %s, pointing at %s', (_, message, pointer) => {
    // Act
    const problems = findMessageProblems(JSON.parse(JSON.stringify(message)))

    // Assess
    expect(problems.map((problem) => problem.pointer)).toContain(pointer)
  })

  it('reports every offending field at once', () => {
    // Prepare
    const message = { productKey: 'p k', deviceName: 'd', topic: 't#', qos: 5, payload: 1, extra: 1 }

    // Act
    const pointers = findMessageProblems(message).map((problem) => problem.pointer)

    // Assess
    expect(pointers).toEqual(expect.arrayContaining(['/productKey', '/topic', '/qos', '/extra']))
  })

  it('escapes a field name that holds "/" or "~" in its pointer', () => {
    // Act
    const problems = findMessageProblems(aMessage({ 'a/b~c': 1 }))

    // Assess
    expect(problems).toEqual([{ pointer: '/a~1b~0c', message: 'is not a known field' }])
  })

  it.each([
    ['a string', '"hello"'],
    ['an array', '[]'],
    ['null', 'null'],
    ['a number', '3'],
  ])('refuses %s as a message', (_, json) => {
    // Act
    const problems = findMessageProblems(JSON.parse(json))

    // Assess
    expect(problems).toEqual([
      {
        pointer: '',
        message: expect.stringMatching(/^must be an object, not (the string|an array|null|a number)/),
      },
    ])
  })

  it('describes a pattern violation in words rather than as a regular expression', () => {
    // Act
    const [problem] = findMessageProblems(aMessage({ topic: 'a b' }))

    // Assess
    expect(problem?.message).toMatch(/^must be the short topic name/)
  })
})
