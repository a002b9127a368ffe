/**
 * The message schema's validator, compiled on first use. The bundle replaces this module with code
 * ajv generated at build time (scripts/build.mjs), so a deployed cold start compiles nothing.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import { messageSchema } from './schema.js'

/** The options the validator is compiled with, here and at build time. */
export const VALIDATOR_OPTIONS = { allErrors: true, verbose: true, strict: true } as const

export { messageSchema }

let compiled: ValidateFunction | undefined

/** The compiled validator of `messageSchema`. */
export function schemaValidator(): ValidateFunction {
  compiled ??= new Ajv2020(VALIDATOR_OPTIONS).compile(messageSchema)
  return compiled
}
