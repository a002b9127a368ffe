/**
 * Checks a caller's message against the schema and the cross-field rules, and explains every problem
 * as a JSON pointer into the message plus a sentence.
 */
import type { ErrorObject } from 'ajv'
import type { ErrorDetail } from '../errors.js'
import { findRuleProblems } from './rules.js'
import type { PublishMessage } from './schema.js'
import { schemaValidator } from './schema-validator.js'

/**
 * Lists what is wrong with a message, or nothing when it may be published.
 * @param value - the parsed JSON the caller sent as one message
 */
export function findMessageProblems(value: unknown): ErrorDetail[] {
  const validate = schemaValidator()
  if (!validate(value)) return dedupe((validate.errors ?? []).flatMap((error) => describe(error, value)))
  return findRuleProblems(value as PublishMessage)
}

function describe(error: ErrorObject, message: unknown): ErrorDetail[] {
  const at = error.instancePath
  switch (error.keyword) {
    case 'enum':
      return [{ pointer: at, message: allowedValues(error.params.allowedValues, valueAt(message, at)) }]
    case 'type':
      return [
        {
          pointer: at,
          message: `must be ${withArticle(error.params.type)}, not ${kindOf(valueAt(message, at))}`,
        },
      ]
    case 'required':
      return [{ pointer: `${at}/${pointerSegment(error.params.missingProperty)}`, message: 'is required' }]
    case 'dependentRequired':
      return [
        {
          pointer: `${at}/${pointerSegment(error.params.missingProperty)}`,
          message: `is required when ${error.params.property} is given`,
        },
      ]
    case 'additionalProperties':
      return [
        {
          pointer: `${at}/${pointerSegment(error.params.additionalProperty)}`,
          message: 'is not a known field',
        },
      ]
    case 'propertyNames':
      // Its sub-errors name the property; this summary adds nothing.
      return []
    case 'pattern': {
      const given = valueAt(message, at)
      // A full topic where a short one belongs: say which field takes it.
      if (at === '/topic' && typeof given === 'string' && given.startsWith('/')) {
        return [
          {
            pointer: at,
            message: `is a full topic: send "${given}" as topicFullName (without deviceName and topic), or only the part after /user/ as topic`,
          },
        ]
      }
      const what =
        typeof error.parentSchema?.description === 'string' ? error.parentSchema.description : undefined
      return [
        { pointer: pointerOf(error), message: what ? `must be ${what}` : 'has a form that is not allowed' },
      ]
    }
    default:
      return [{ pointer: pointerOf(error), message: error.message ?? 'is not valid' }]
  }
}

// "must be 0 or 1", and when a number is wanted but text or a boolean came, that it must be a number.
function allowedValues(allowed: unknown[], given: unknown): string {
  const listed = allowed.map((value) => JSON.stringify(value))
  const values = listed.length > 1 ? `${listed.slice(0, -1).join(', ')} or ${listed.at(-1)}` : listed.join('')
  const wantsNumber = allowed.every((value) => typeof value === 'number')
  if (wantsNumber && typeof given !== 'number') {
    return `must be ${values}, as a JSON number, not ${kindOf(given)}`
  }
  return `must be ${values}`
}

function withArticle(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`
  if (typeof value === 'boolean') return `${value}`
  return typeof value === 'object' ? 'an object' : withArticle(typeof value)
}

// The value a JSON pointer names in the message (ajv's instancePath).
function valueAt(message: unknown, pointer: string): unknown {
  let value = message
  for (const segment of pointer.split('/').slice(1)) {
    const key = segment.replaceAll('~1', '/').replaceAll('~0', '~')
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

// A property-name error points at the offending name inside the object.
function pointerOf(error: ErrorObject): string {
  return error.propertyName === undefined
    ? error.instancePath
    : `${error.instancePath}/${pointerSegment(error.propertyName)}`
}

function pointerSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1')
}

function dedupe(details: ErrorDetail[]): ErrorDetail[] {
  const seen = new Set<string>()
  return details.filter((detail) => {
    const key = `${detail.pointer}\n${detail.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
