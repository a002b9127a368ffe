import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { LOCAL_API_KEY, type LocalGateway, startLocalGateway } from '../../dev/local/runner.js'
import { aMessage } from '../helpers/factories.js'
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js'
import { TEST_REDIS_PASSWORD } from '../helpers/secrets.js'

describe('two local gateways (npm start) given one REDIS_URL', () => {
  let redis: RedisServer
  const gateways: LocalGateway[] = []

  beforeAll(async () => {
    redis = await startRedisServer({ password: TEST_REDIS_PASSWORD })
    for (const name of ['IOT_ENDPOINT', 'IOT_REGION', 'GATEWAY_AUTH', 'GATEWAY_API_KEYS'])
      vi.stubEnv(name, undefined)
    // As from the shell: REDIS_URL=… PUB_QPS_LIMIT=5 npm start, twice
    vi.stubEnv('REDIS_URL', redis.url)
    vi.stubEnv('PUB_QPS_LIMIT', '5')
    // Generous, so that a loaded test machine does not send an instance to its own limiter.
    vi.stubEnv('REDIS_TIMEOUT_MS', '1000')
    for (let i = 0; i < 2; i++) gateways.push(await startLocalGateway({ port: 0 }))
  })

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()))
    vi.unstubAllEnvs()
    await redis.stop()
  })

  it('share one PUB_QPS_LIMIT: ten messages over both take two seconds at 5 a second', async () => {
    // Prepare
    const started = performance.now()

    // Act
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        fetch(`${gateways[i % 2]?.url}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${LOCAL_API_KEY}` },
          body: JSON.stringify(aMessage()),
        }),
      ),
    )
    const elapsed = performance.now() - started

    // Assess: alone, each would have sent its five within a second
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200))
    expect(elapsed).toBeGreaterThan(1_500)
  })
})
