import { describe, expect, it } from 'vitest'
import { credentialsFor, loadConfig } from '../../lib/config.js'
import { ConfigurationError } from '../../lib/errors.js'

const keys = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIenvKey123',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret-123',
}

describe('loadConfig', () => {
  it('derives the endpoint from IOT_REGION, with documented defaults', () => {
    // Act
    const config = loadConfig({ IOT_REGION: 'cn-shanghai' })

    // Assess
    expect(config).toEqual({
      iotEndpoint: 'https://iot.cn-shanghai.aliyuncs.com',
      iotInstanceId: undefined,
      maxPayloadBytes: 262_144,
      pubTimeoutMs: 5_000,
      pubMaybeSentRetries: 1,
      pubQpsLimit: 1_600,
      deadlineMarginMs: 500,
      maxBatchSize: 100,
      pubConcurrency: 16,
      gatewayAuth: 'api-key',
      apiKeys: [],
      allowedProductKeys: undefined,
      allowedTopics: undefined,
      maxBodyBytes: 33_554_432,
      idempotencyTtlSeconds: 86_400,
      redisUrl: undefined,
      redisTimeoutMs: 50,
      environmentCredentials: undefined,
    })
  })

  it.each(['redis://:p%40ss@10.0.0.5:6379/0', 'rediss://user:pw@r-bp1.redis.rds.aliyuncs.com:6380'])(
    'reads REDIS_URL %s and REDIS_TIMEOUT_MS',
    (url) => {
      // Act
      const config = loadConfig({ IOT_REGION: 'cn-shanghai', REDIS_URL: ` ${url} `, REDIS_TIMEOUT_MS: '20' })

      // Assess
      expect(config).toMatchObject({ redisUrl: url, redisTimeoutMs: 20 })
    },
  )

  it.each([
    'localhost:6379',
    'http://:hunter2hunter2@localhost:6379',
    'redis://:hunter2hunter2@',
    'redis//:hunter2hunter2@host',
  ])('refuses REDIS_URL %s naming the variable, never quoting its password', (url) => {
    // Act
    const act = () => loadConfig({ IOT_REGION: 'cn-shanghai', REDIS_URL: url })

    // Assess
    expect(act).toThrow(/REDIS_URL/)
    expect(act).not.toThrow(/hunter2/)
  })

  it('falls back to FC_REGION, the function’s own region', () => {
    // Act + Assess
    expect(loadConfig({ FC_REGION: 'ap-southeast-1' }).iotEndpoint).toBe(
      'https://iot.ap-southeast-1.aliyuncs.com',
    )
  })

  it('prefers IOT_REGION over FC_REGION', () => {
    // Act + Assess
    expect(loadConfig({ IOT_REGION: 'cn-beijing', FC_REGION: 'cn-hangzhou' }).iotEndpoint).toBe(
      'https://iot.cn-beijing.aliyuncs.com',
    )
  })

  it('lets IOT_ENDPOINT override the region, without a trailing slash', () => {
    // Act + Assess
    expect(
      loadConfig({ IOT_ENDPOINT: 'http://127.0.0.1:9001/', IOT_REGION: 'cn-shanghai' }).iotEndpoint,
    ).toBe('http://127.0.0.1:9001')
  })

  it('reads the instance id, the payload limit, the timeout and the keys', () => {
    // Act
    const config = loadConfig({
      IOT_REGION: 'cn-shanghai',
      IOT_INSTANCE_ID: 'iot-06z00',
      MAX_PAYLOAD_BYTES: '1024',
      PUB_TIMEOUT_MS: '800',
      PUB_MAYBE_SENT_RETRIES: '0',
      ...keys,
    })

    // Assess
    expect(config).toMatchObject({
      iotInstanceId: 'iot-06z00',
      maxPayloadBytes: 1024,
      pubTimeoutMs: 800,
      pubMaybeSentRetries: 0,
      environmentCredentials: { accessKeyId: 'LTAIenvKey123', accessKeySecret: 'env-secret-123' },
    })
  })

  it.each([
    [{}, /IOT_REGION/],
    [{ IOT_REGION: 'shanghai' }, /IOT_REGION/],
    [{ IOT_ENDPOINT: 'iot.example.com' }, /IOT_ENDPOINT/],
    [{ IOT_REGION: 'cn-shanghai', MAX_PAYLOAD_BYTES: '10kb' }, /MAX_PAYLOAD_BYTES/],
    [{ IOT_REGION: 'cn-shanghai', PUB_TIMEOUT_MS: '-1' }, /PUB_TIMEOUT_MS/],
    [{ IOT_REGION: 'cn-shanghai', PUB_QPS_LIMIT: '0' }, /PUB_QPS_LIMIT/],
    [{ IOT_REGION: 'cn-shanghai', GATEWAY_AUTH: 'off' }, /GATEWAY_AUTH/],
    [{ IOT_REGION: 'cn-shanghai', ALLOWED_TOPICS: 'pk/+/user/#' }, /ALLOWED_TOPICS/],
    [{ IOT_REGION: 'cn-shanghai', ALLOWED_TOPICS: '/pk/#/user' }, /ALLOWED_TOPICS/],
    [{ IOT_REGION: 'cn-shanghai', ALLOWED_TOPICS: '/pk/a+/user' }, /ALLOWED_TOPICS/],
    [{ IOT_REGION: 'cn-shanghai', DEADLINE_MARGIN_MS: '1.5' }, /DEADLINE_MARGIN_MS/],
    [{ IOT_REGION: 'cn-shanghai', IDEMPOTENCY_TTL_S: '0' }, /IDEMPOTENCY_TTL_S/],
    [{ IOT_REGION: 'cn-shanghai', REDIS_TIMEOUT_MS: '0' }, /REDIS_TIMEOUT_MS/],
    [{ IOT_REGION: 'cn-shanghai', PUB_MAYBE_SENT_RETRIES: '-1' }, /PUB_MAYBE_SENT_RETRIES/],
    [{ IOT_REGION: 'cn-shanghai', PUB_MAYBE_SENT_RETRIES: 'once' }, /PUB_MAYBE_SENT_RETRIES/],
    [{ IOT_REGION: 'cn-shanghai', ALIBABA_CLOUD_ACCESS_KEY_ID: 'id' }, /ALIBABA_CLOUD_ACCESS_KEY_SECRET/],
    [{ IOT_REGION: 'cn-shanghai', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's' }, /ALIBABA_CLOUD_ACCESS_KEY_ID/],
  ])('fails naming the variable to fix for %o', (env, variable) => {
    // Act
    const act = () => loadConfig(env)

    // Assess
    expect(act).toThrow(ConfigurationError)
    expect(act).toThrow(variable)
  })
})

describe('security settings', () => {
  it('reads comma-separated keys, products and topic patterns, ignoring blanks', () => {
    // Act
    const config = loadConfig({
      IOT_REGION: 'cn-shanghai',
      GATEWAY_AUTH: 'none',
      GATEWAY_API_KEYS: ' k1 , k2,,',
      ALLOWED_PRODUCT_KEYS: 'pk1,pk2',
      ALLOWED_TOPICS: '/+/+/user/cmd/#, /broadcast/pk1/#',
      MAX_BODY_BYTES: '1024',
    })

    // Assess
    expect(config).toMatchObject({
      gatewayAuth: 'none',
      apiKeys: ['k1', 'k2'],
      allowedProductKeys: ['pk1', 'pk2'],
      allowedTopics: ['/+/+/user/cmd/#', '/broadcast/pk1/#'],
      maxBodyBytes: 1024,
    })
  })
})

describe('credentialsFor', () => {
  const config = loadConfig({ IOT_REGION: 'cn-shanghai', ...keys })

  it('prefers the role’s STS credentials from the context', () => {
    // Prepare
    const credentials = { accessKeyId: 'STS.role', accessKeySecret: 'role-secret', securityToken: 'token' }

    // Act + Assess
    expect(credentialsFor({ credentials }, config)).toEqual(credentials)
  })

  it('falls back to the environment’s keys when the function has no role', () => {
    // Act + Assess
    expect(credentialsFor({}, config)).toEqual({
      accessKeyId: 'LTAIenvKey123',
      accessKeySecret: 'env-secret-123',
    })
  })

  it('ignores an empty credentials object', () => {
    // Act + Assess
    expect(
      credentialsFor({ credentials: { accessKeyId: '', accessKeySecret: '' } }, config).accessKeyId,
    ).toBe('LTAIenvKey123')
  })

  it('fails naming what to set when there are none', () => {
    // Act
    const act = () => credentialsFor({}, loadConfig({ IOT_REGION: 'cn-shanghai' }))

    // Assess
    expect(act).toThrow(/ALIBABA_CLOUD_ACCESS_KEY_ID/)
  })
})
