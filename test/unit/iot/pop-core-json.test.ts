import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parse } from '../../../lib/iot/pop-core-json.js'

describe('the JSON pop-core parses IoT’s answers with in the bundle', () => {
  it('keeps a MessageId beyond 2^53 as its exact digits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n }), (id) => {
        // Act
        const answer = parse(`{"RequestId":"r-1","Success":true,"MessageId":${id}}`)

        // Assess
        expect(answer).toEqual({ RequestId: 'r-1', Success: true, MessageId: String(id) })
      }),
    )
  })

  it('reads numbers of up to 15 digits as numbers', () => {
    // Act + Assess
    expect(parse('{"Code":"Throttling","TotalCount":123456789012345,"Ratio":0.5}')).toEqual({
      Code: 'Throttling',
      TotalCount: 123456789012345,
      Ratio: 0.5,
    })
  })
})
