import { describe, expect, it } from 'vitest'
import { findShapeProblems, MAX_JSON_DEPTH } from '../../../lib/message/json-shape.js'

function nested(depth: number): unknown {
  return JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)
}

describe('findShapeProblems', () => {
  it(`accepts nesting of ${MAX_JSON_DEPTH} levels`, () => {
    // Act + Assess
    expect(findShapeProblems(nested(MAX_JSON_DEPTH))).toEqual([])
  })

  it('refuses one level more, pointing at it', () => {
    // Act
    const problems = findShapeProblems(nested(MAX_JSON_DEPTH + 1))

    // Assess
    expect(problems).toEqual([
      { pointer: '/a'.repeat(MAX_JSON_DEPTH), message: `is nested deeper than ${MAX_JSON_DEPTH} levels` },
    ])
  })

  it('checks 100,000 levels without overflowing the stack', () => {
    // Prepare
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)

    // Act + Assess
    expect(findShapeProblems(deep)).toHaveLength(1)
  })

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s anywhere', (key) => {
    // Prepare
    const value = JSON.parse(`{"payload": {"list": [{"${key}": {"polluted": true}}]}}`)

    // Act
    const problems = findShapeProblems(value)

    // Assess
    expect(problems).toEqual([
      { pointer: `/payload/list/0/${key}`, message: `uses the reserved key "${key}"` },
    ])
  })

  it('escapes / and ~ in the pointer of a problem', () => {
    // Prepare
    const value = JSON.parse('{"a/b": {"c~d": {"__proto__": {}}}}')

    // Act + Assess
    expect(findShapeProblems(value)).toEqual([
      { pointer: '/a~1b/c~0d/__proto__', message: 'uses the reserved key "__proto__"' },
    ])
  })

  it('accepts ordinary keys that merely contain those words', () => {
    // Act + Assess
    expect(findShapeProblems({ constructorName: 1, proto: 2 })).toEqual([])
  })

  it.each([
    ['a lone high surrogate in a value', '{"payload": {"text": "a\\ud800b"}}', '/payload/text'],
    ['a lone low surrogate in a value', '{"correlationData": "\\udc00"}', '/correlationData'],
    ['a reversed pair', '{"payload": ["\\udc00\\ud800"]}', '/payload/0'],
    ['a string as the whole value', '"\\ud800"', ''],
  ])('refuses %s, pointing at it', (_, text, pointer) => {
    // Act
    const problems = findShapeProblems(JSON.parse(text))

    // Assess
    expect(problems).toEqual([{ pointer, message: expect.stringContaining('lone surrogate') }])
  })

  it('refuses a key holding a lone surrogate, pointing at the key', () => {
    // Prepare
    const value = JSON.parse('{"userProperties": {"k\\ud83d": "v"}}')

    // Act + Assess
    expect(findShapeProblems(value)).toEqual([
      {
        pointer: '/userProperties/k\ud83d',
        message: expect.stringContaining('has a name that holds a lone surrogate'),
      },
    ])
  })

  it('accepts surrogate pairs, written as escapes or as characters', () => {
    // Act + Assess
    expect(findShapeProblems(JSON.parse('{"a": "\\ud83d\\ude00", "😀": "😀"}'))).toEqual([])
  })
})
