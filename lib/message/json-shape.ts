/**
 * Checks the shape of parsed JSON before anything walks it recursively: nesting depth (a deep value
 * overflows the stack of JSON.stringify), keys that could reach an object's prototype, and text that
 * UTF-8 cannot carry (a lone surrogate from a `\ud800` escape, which signing would choke on).
 */
import type { ErrorDetail } from '../errors.js'

/** Deepest nesting accepted anywhere in a request. */
export const MAX_JSON_DEPTH = 64

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const NOT_UTF8 = 'holds a lone surrogate (such as \\ud800), which is not text UTF-8 can carry'

// A value met in the walk; its pointer is spelled out only when a problem is found there.
interface Visit {
  value: unknown
  depth: number
  parent?: Visit
  key?: string
}

/**
 * The first problems of a parsed value's shape, found without recursion.
 * @example findShapeProblems(JSON.parse('{"__proto__": {}}')) // [{ pointer: '/__proto__', … }]
 */
export function findShapeProblems(value: unknown, maxDepth = MAX_JSON_DEPTH): ErrorDetail[] {
  const problems: ErrorDetail[] = []
  const stack: Visit[] = [{ value, depth: 0 }]
  while (stack.length > 0 && problems.length < 10) {
    const visit = stack.pop() as Visit
    const object = visit.value
    if (typeof object === 'string') {
      if (!object.isWellFormed()) problems.push({ pointer: pointerOf(visit), message: NOT_UTF8 })
      continue
    }
    if (typeof object !== 'object' || object === null) continue
    if (visit.depth >= maxDepth) {
      problems.push({ pointer: pointerOf(visit), message: `is nested deeper than ${maxDepth} levels` })
      continue
    }
    for (const key of Object.keys(object)) {
      const child: Visit = {
        value: (object as Record<string, unknown>)[key],
        depth: visit.depth + 1,
        parent: visit,
        key,
      }
      if (PROTOTYPE_KEYS.has(key)) {
        problems.push({ pointer: pointerOf(child), message: `uses the reserved key "${key}"` })
      } else if (!key.isWellFormed()) {
        problems.push({ pointer: pointerOf(child), message: `has a name that ${NOT_UTF8}` })
      } else stack.push(child)
    }
  }
  return problems
}

// The JSON pointer (RFC 6901) of a visited value.
function pointerOf(visit: Visit): string {
  let pointer = ''
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) {
    pointer = `/${at.key.replaceAll('~', '~0').replaceAll('/', '~1')}${pointer}`
  }
  return pointer
}
