import { describe, expect, it } from 'vitest'
import type { DeliveredMessage } from '../../../dev/iot-emulator/pub-api.js'
import { formatDelivery, SHOWN_PAYLOAD_BYTES } from '../../../dev/local/device-view.js'

function aDelivery(payload: Buffer): DeliveredMessage {
  return {
    messageId: '1',
    productKey: 'pk',
    topicFullName: '/pk/d/user/get',
    payload,
    qos: 0,
    userProperties: [],
  }
}

describe('formatDelivery', () => {
  it('shows a short text payload whole', () => {
    // Assess
    expect(formatDelivery(aDelivery(Buffer.from('{"on":true}')))).toContain('payload: {"on":true}')
  })

  it('shows a payload of exactly the limit whole', () => {
    // Prepare
    const payload = Buffer.from('x'.repeat(SHOWN_PAYLOAD_BYTES))

    // Assess
    expect(formatDelivery(aDelivery(payload))).toContain(
      `payload: ${'x'.repeat(SHOWN_PAYLOAD_BYTES)}\n`.trimEnd(),
    )
    expect(formatDelivery(aDelivery(payload))).not.toContain('shown')
  })

  it('cuts a payload over a few KB and gives its size', () => {
    // Prepare
    const payload = Buffer.from('y'.repeat(100_000))

    // Act
    const shown = formatDelivery(aDelivery(payload))

    // Assess
    expect(shown).toContain(`payload: ${'y'.repeat(SHOWN_PAYLOAD_BYTES)}… (100,000 bytes, first 2,048 shown)`)
    expect(shown.length).toBeLessThan(SHOWN_PAYLOAD_BYTES + 200)
  })

  it('still shows a cut text as text when the cut splits a character', () => {
    // Prepare: 'é' is two bytes, so the 2,048th byte is the first half of one
    const payload = Buffer.from(`a${'é'.repeat(2_000)}`)

    // Act
    const shown = formatDelivery(aDelivery(payload))

    // Assess
    expect(shown).toContain(`payload: a${'é'.repeat(1_023)}… (4,001 bytes, first 2,048 shown)`)
  })

  it('shows bytes that are not UTF-8 as base64, cut as well', () => {
    // Prepare
    const small = Buffer.from([0xff, 0xfe, 0x00])
    const large = Buffer.alloc(10_000, 0xff)

    // Assess
    expect(formatDelivery(aDelivery(small))).toContain('payload: (3 bytes, base64) //4A')
    expect(formatDelivery(aDelivery(large))).toMatch(
      /payload: \(base64\) \/{4}.*… \(10,000 bytes, first 2,048 shown\)$/,
    )
  })
})
