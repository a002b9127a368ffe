/**
 * Checks the shape of parsed JSON before anything walks it recursively: nesting depth (a deep value
 * overflows the stack of JSON.stringify) and keys that could reach an object's prototype.
 */
import type { ErrorDetail } from '../errors.js'

/** Deepest nesting accepted anywhere in a request. */
export const MAX_JSON_DEPTH = 64

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * The first problems of a parsed value's shape, found without recursion.
 * @example findShapeProblems(JSON.parse('{"__proto__": {}}')) // [{ pointer: '/__proto__', … }]
 */
export function findShapeProblems(value: unknown, maxDepth = MAX_JSON_DEPTH): ErrorDetail[] {
  const problems: ErrorDetail[] = []
  const stack: { value: unknown; pointer: string; depth: number }[] = [{ value, pointer: '', depth: 0 }]
  while (stack.length > 0 && problems.length < 10) {
    const item = stack.pop() as { value: unknown; pointer: string; depth: number }
    if (typeof item.value !== 'object' || item.value === null) continue
    if (item.depth >= maxDepth) {
      problems.push({ pointer: item.pointer, message: `is nested deeper than ${maxDepth} levels` })
      continue
    }
    for (const [key, child] of Object.entries(item.value)) {
      const pointer = `${item.pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
      if (PROTOTYPE_KEYS.has(key)) problems.push({ pointer, message: `uses the reserved key "${key}"` })
      else stack.push({ value: child, pointer, depth: item.depth + 1 })
    }
  }
  return problems
}
