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
  if (!validate(value)) return dedupe((validate.errors ?? []).flatMap(describe))
  return findRuleProblems(value as PublishMessage)
}

function describe(error: ErrorObject): ErrorDetail[] {
  const at = error.instancePath
  switch (error.keyword) {
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
