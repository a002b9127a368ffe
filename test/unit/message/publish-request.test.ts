import { describe, expect, it } from 'vitest'
import { ForbiddenError, InvalidRequestError, PayloadTooLargeError } from '../../../lib/errors.js'
import { readPublishRequest } from '../../../lib/message/publish-request.js'
import { aMessage } from '../../helpers/factories.js'

const settings = { maxPayloadBytes: 100, maxBatchSize: 3 }

function pointersOf(act: () => unknown): string[] {
  try {
    act()
  } catch (error) {
    return (error as InvalidRequestError).details.map((detail) => detail.pointer)
  }
  throw new Error('expected the request to be refused')
}

describe('readPublishRequest', () => {
  it('reads one message as the single form', () => {
    // Act
    const request = readPublishRequest(aMessage(), settings)

    // Assess
    expect(request.form).toBe('single')
    expect(request.parameters).toHaveLength(1)
  })

  it('reads {"messages": [...]} as a batch, in order', () => {
    // Act
    const request = readPublishRequest(
      { messages: [aMessage({ topic: 'a' }), aMessage({ topic: 'b' })] },
      settings,
    )

    // Assess
    expect(request.form).toBe('batch')
    expect(request.parameters.map((parameters) => parameters.TopicFullName)).toEqual([
      '/a1Q5XoYtest/device1/user/a',
      '/a1Q5XoYtest/device1/user/b',
    ])
  })

  it.each([
    ['an empty list', { messages: [] }, /at least one/],
    [
      'more than MAX_BATCH_SIZE messages',
      { messages: [aMessage(), aMessage(), aMessage(), aMessage()] },
      /holds 4 messages; at most 3 \(MAX_BATCH_SIZE\)/,
    ],
    ['messages that is not an array', { messages: aMessage() }, /must be an array/],
  ])('refuses %s with 400 at /messages', (_, body, message) => {
    // Act
    const act = () => readPublishRequest(body, settings)

    // Assess
    expect(act).toThrow(InvalidRequestError)
    expect(pointersOf(act)).toEqual(['/messages'])
    expect(() => readPublishRequest(body, settings)).toThrow(
      expect.objectContaining({
        details: [expect.objectContaining({ message: expect.stringMatching(message) })],
      }),
    )
  })

  it('refuses the whole batch when one item is invalid, naming it by its path', () => {
    // Act
    const act = () =>
      readPublishRequest({ messages: [aMessage(), aMessage(), aMessage({ qos: 5 as 0 })] }, settings)

    // Assess
    expect(act).toThrow('The batch is not valid; nothing was sent')
    expect(pointersOf(act)).toEqual(['/messages/2/qos'])
  })

  it('names every bad item at once', () => {
    // Act
    const pointers = pointersOf(() =>
      readPublishRequest(
        { messages: [aMessage({ topic: '#' }), aMessage(), { productKey: 'pk' }] },
        settings,
      ),
    )

    // Assess
    expect(pointers).toEqual(
      expect.arrayContaining(['/messages/0/topic', '/messages/2/deviceName', '/messages/2/payload']),
    )
  })

  it('refuses unknown fields beside messages', () => {
    // Act + Assess
    expect(pointersOf(() => readPublishRequest({ messages: [aMessage()], dryRun: true }, settings))).toEqual([
      '/dryRun',
    ])
  })

  it('refuses the batch with 413 when one payload is too large, naming it', () => {
    // Act
    const act = () =>
      readPublishRequest({ messages: [aMessage(), aMessage({ payload: 'x'.repeat(101) })] }, settings)

    // Assess
    expect(act).toThrow(PayloadTooLargeError)
    expect(pointersOf(act)).toEqual(['/messages/1/payload'])
  })

  it.each([
    ['products alone', { allowedProductKeys: ['a1OtherPk'] }, '/messages/1/productKey'],
    ['topics alone', { allowedTopics: ['/+/+/user/cmd'] }, '/messages/1/topic'],
  ])('confines a batch when the operator lists %s', (_, confinement, pointer) => {
    // Act
    const act = () =>
      readPublishRequest(
        { messages: [aMessage({ productKey: 'a1OtherPk', topic: 'cmd' }), aMessage()] },
        { ...settings, ...confinement },
      )

    // Assess
    expect(act).toThrow(ForbiddenError)
    expect(pointersOf(act)).toEqual([pointer])
  })

  it('keeps pointers of a single message relative to it', () => {
    // Act + Assess
    expect(pointersOf(() => readPublishRequest(aMessage({ qos: 9 as 0 }), settings))).toEqual(['/qos'])
  })
})
