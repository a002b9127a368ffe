import middy from '@middy/core'
import { describe, expect, it } from 'vitest'
import type { FcContext } from '../../../lib/fc/types.js'
import { createLogger } from '../../../lib/log.js'
import { fcTrigger } from '../../../lib/middleware/fc-trigger.js'
import type { Inbound } from '../../../lib/triggers/inbound.js'
import { anFcContext, anHttpEvent, asFcEvent } from '../../helpers/factories.js'

function withHandler(handler: (inbound: Inbound) => Promise<unknown>) {
  const lines: string[] = []
  const logger = createLogger((line) => lines.push(line))
  const run = middy<Inbound, unknown, Error, FcContext>().use(fcTrigger({ logger })).handler(handler)
  return { run: run as unknown as (event: Buffer, context: FcContext) => Promise<unknown>, lines }
}

describe('fcTrigger', () => {
  it('hides an unexpected error behind a generic 500 and logs its detail', async () => {
    // Prepare
    const { run, lines } = withHandler(async () => {
      throw new TypeError('cannot read properties of undefined (internal detail)')
    })

    // Act
    const response = (await run(asFcEvent(anHttpEvent({})), anFcContext())) as {
      statusCode: number
      body: string
    }

    // Assess
    expect(response.statusCode).toBe(500)
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'InternalError', message: 'The gateway failed unexpectedly', details: [] },
    })
    expect(response.body).not.toContain('internal detail')
    expect(lines.join('\n')).toContain('internal detail')
  })

  it('fails a direct invocation on an unexpected error, since a retry may cure it', async () => {
    // Prepare
    const { run } = withHandler(async () => {
      throw new Error('surprise')
    })

    // Act
    const invocation = run(asFcEvent({ any: 'message' }), anFcContext())

    // Assess
    await expect(invocation).rejects.toThrow('InternalError: The gateway failed unexpectedly')
  })

  it('logs one line per invocation with the request id, trigger, outcome and latency', async () => {
    // Prepare
    const { run, lines } = withHandler(async () => ({
      form: 'single',
      result: { messageId: '1889', requestId: 'iot-r' },
    }))

    // Act
    await run(asFcEvent(anHttpEvent({})), anFcContext({ requestId: 'fc-req-7' }))

    // Assess
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      requestId: 'fc-req-7',
      trigger: 'http',
      outcome: 'relayed',
      status: 200,
      latencyMs: expect.any(Number),
      messages: 1,
      messageIds: ['1889'],
      iotRequestIds: ['iot-r'],
    })
  })
})
