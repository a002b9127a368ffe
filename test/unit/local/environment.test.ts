import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { layerEnvironment, readDotEnv, readFunctionSettings } from '../../../dev/local/environment.js'

describe('readFunctionSettings', () => {
  it('reads the function’s name, timeout, memory and variables from s.yaml, filling vars and env()', () => {
    // Act
    const settings = readFunctionSettings('s.yaml', { GATEWAY_API_KEYS: 'k1,k2' })

    // Assess
    expect(settings).toMatchObject({
      name: 'iot-pub-gateway',
      region: 'cn-shanghai',
      timeout: 30,
      memory: 512,
    })
    expect(settings.environment).toMatchObject({
      IOT_REGION: 'cn-shanghai',
      GATEWAY_AUTH: 'api-key',
      GATEWAY_API_KEYS: 'k1,k2',
    })
  })

  it('renders an env() the environment lacks as empty (the gateway then refuses every HTTP request)', () => {
    // Act + Assess
    expect(readFunctionSettings('s.yaml', {}).environment.GATEWAY_API_KEYS).toBe('')
  })
})

describe('layerEnvironment', () => {
  it('lets each layer override the ones before it, ignoring empty values', () => {
    // Act
    const merged = layerEnvironment(
      { A: 's.yaml', B: 's.yaml', C: 's.yaml', D: 's.yaml' },
      { B: '.env', C: '.env', D: '' },
      { C: 'shell', D: undefined },
    )

    // Assess
    expect(merged).toEqual({ A: 's.yaml', B: '.env', C: 'shell', D: 's.yaml' })
  })
})

describe('readDotEnv', () => {
  it('reads KEY=VALUE lines, comments and quotes', () => {
    // Prepare
    const path = join(mkdtempSync(join(tmpdir(), 'dotenv-')), '.env')
    writeFileSync(path, '# local settings\nMAX_PAYLOAD_BYTES=10\nGATEWAY_API_KEYS="k1,k2"\n')

    // Act + Assess
    expect(readDotEnv(path)).toEqual({ MAX_PAYLOAD_BYTES: '10', GATEWAY_API_KEYS: 'k1,k2' })
  })

  it('reads nothing when there is no file', () => {
    // Act + Assess
    expect(readDotEnv('/nonexistent/.env')).toEqual({})
  })
})
