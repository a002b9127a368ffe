import type { Request } from '@middy/core'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../lib/config.js'
import type { GatewayContext } from '../../../lib/context.js'
import { MemoryIdempotencyStore } from '../../../lib/idempotency/memory-store.js'
import type { Claim } from '../../../lib/idempotency/store.js'
import type { Publisher } from '../../../lib/iot/publisher.js'
import { createLogger } from '../../../lib/log.js'
import { readPublishRequest } from '../../../lib/message/publish-request.js'
import { idempotency } from '../../../lib/middleware/idempotency.js'
import { aMessage, anFcContext } from '../../helpers/factories.js'

const NOW = 1_700_000_000_000

// The middleware's before phase on a context with `timeout` seconds, the claims it makes recorded.
function prepared(env: Record<string, string>, timeout: number) {
  const claims: Claim[] = []
  const recordTtls: number[] = []
  const memory = new MemoryIdempotencyStore({ now: () => NOW })
  const middleware = idempotency({
    logger: createLogger(() => {}),
    now: () => NOW,
    createStore: () => ({
      shared: true,
      claim: (key, claim) => {
        claims.push(claim)
        return memory.claim(key, claim)
      },
      settle: (key, token, record, ttlMs) => {
        recordTtls.push(ttlMs)
        return memory.settle(key, token, record, ttlMs)
      },
      release: (key, token) => memory.release(key, token),
    }),
  })
  const context = {
    ...anFcContext({ function: { name: 'gw', timeout } }),
    config: loadConfig({ IOT_REGION: 'cn-shanghai', ...env }),
  } as GatewayContext
  middleware.before?.({ context } as Request<unknown, unknown, Error, GatewayContext>)
  return { claims, recordTtls, context }
}

const publisher: Publisher = { publish: async () => ({ messageId: 'm1', requestId: 'r1' }) }

async function publishKeyed(context: GatewayContext) {
  const body = aMessage({ idempotencyKey: 'k' })
  const request = readPublishRequest(body, { maxPayloadBytes: 1_000, maxBatchSize: 1 })
  const keyed = context.idempotency.publisherFor(publisher, [
    { origin: { kind: 'direct', payload: { ok: true, value: body } }, body, request },
  ])
  return keyed.publish(request.parameters[0] as Record<string, string>)
}

describe('idempotency middleware', () => {
  it('makes a claim last exactly until FC ends the invocation (its timeout)', async () => {
    // Prepare
    const { claims, context } = prepared({}, 7)

    // Act
    await publishKeyed(context)

    // Assess
    expect(claims.map((claim) => claim.ttlMs)).toEqual([7_000])
  })

  it('keeps records IDEMPOTENCY_TTL_S', async () => {
    // Prepare
    const { recordTtls, context } = prepared({ IDEMPOTENCY_TTL_S: '60' }, 3)

    // Act
    await publishKeyed(context)

    // Assess
    expect(recordTtls).toEqual([60_000])
  })
})
