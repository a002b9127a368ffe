import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { payloadSpans } from '../../../lib/message/payload-spans.js'
import { jsonText } from '../../helpers/json-text.js'

// Each span as its path and the text it covers.
const spansOf = (text: string) =>
  payloadSpans(text).map(({ path, start, end }) => ({ path, text: text.slice(start, end) }))

describe('payloadSpans', () => {
  it.each([
    ['one message', '{"productKey": "p", "payload": {"a": [1.0]}}', [{ path: [], text: '{"a": [1.0]}' }]],
    ['a scalar payload', '{"payload" : 1e400 }', [{ path: [], text: '1e400' }]],
    ['a string payload', '{"payload": "a\\"}b", "x": 1}', [{ path: [], text: '"a\\"}b"' }]],
    [
      'a batch',
      '{"messages": [{"payload": 1}, {"qos": 1, "payload": [2, {"payload": 3}]}]}',
      [
        { path: ['messages', 0], text: '1' },
        { path: ['messages', 1], text: '[2, {"payload": 3}]' },
      ],
    ],
    [
      'EventBridge events carrying parsed JSON',
      '[{"id": "a", "data": {"value": {"payload": 1.0}}}, {"data": {"value": {"messages": [{"payload": 2}]}}}]',
      [
        { path: [0, 'data', 'value'], text: '1.0' },
        { path: [1, 'data', 'value', 'messages', 0], text: '2' },
      ],
    ],
    [
      'strings holding brackets, commas and colons',
      '{"k": "[{,:", "payload": ["]}", 1]}',
      [{ path: [], text: '["]}", 1]' }],
    ],
    ['a key written with escapes', '{"a\\u002fb": {"pay\\u006coad": 1}}', [{ path: ['a/b'], text: '1' }]],
    [
      'repeated keys, in the order written',
      '{"payload": 1, "payload": 2}',
      [
        { path: [], text: '1' },
        { path: [], text: '2' },
      ],
    ],
  ])('finds the payload of %s', (_, text, spans) => {
    // Act + Assess
    expect(spansOf(text)).toEqual(spans)
  })

  it('finds nothing in a text without a payload member', () => {
    // Act + Assess
    expect(spansOf('{"messages": [], "payloads": 1, "x": "payload"}')).toEqual([])
  })

  it('finds the exact text of any payload in a batch, whitespace and all', () => {
    fc.assert(
      fc.property(fc.array(jsonText(), { minLength: 1, maxLength: 4 }), (payloads) => {
        // Prepare
        const items = payloads.map(({ text }, index) => `{"n": ${index}, "payload": ${text}, "z": [] }`)

        // Act
        const spans = spansOf(`{ "messages" : [ ${items.join(' , ')} ] }`)

        // Assess
        expect(spans).toEqual(payloads.map(({ text }, index) => ({ path: ['messages', index], text })))
      }),
      { numRuns: 500 },
    )
  })
})
