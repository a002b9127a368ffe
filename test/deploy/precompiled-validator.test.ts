import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import type { ValidateFunction } from 'ajv'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { schemaValidator } from '../../lib/message/schema-validator.js'

// The validator ajv generated at build time, which the bundle uses instead of compiling.
const precompiled = (
  createRequire(import.meta.url)(resolve('dist/generated/schema-validator.cjs')) as {
    schemaValidator: () => ValidateFunction
  }
).schemaValidator()

function verdict(validate: ValidateFunction, value: unknown) {
  const valid = validate(value)
  return {
    valid,
    errors: (validate.errors ?? []).map(({ instancePath, keyword, params }) => ({
      instancePath,
      keyword,
      params,
    })),
  }
}

describe('the precompiled message validator', () => {
  it('judges every message exactly as the run-time compiled one does', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              productKey: fc.oneof(fc.string(), fc.constant('a1Q5XoYtest')),
              deviceName: fc.oneof(fc.string(), fc.constant('device1')),
              topic: fc.oneof(fc.string(), fc.constant('cmd/set')),
              payload: fc.jsonValue(),
              qos: fc.oneof(fc.constantFrom(0, 1), fc.jsonValue()),
              userProperties: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer()), {
                maxKeys: 22,
              }),
              other: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
        ),
        (value) => {
          // Act + Assess
          expect(verdict(precompiled, value)).toEqual(verdict(schemaValidator(), value))
        },
      ),
      { numRuns: 500 },
    )
  })
})
