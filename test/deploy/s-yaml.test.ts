import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { readFunctionSettings } from '../../dev/local/environment.js'
import { loadConfig } from '../../lib/config.js'
import { readPublishRequest } from '../../lib/message/publish-request.js'

const require = createRequire(import.meta.url)
const project = parse(readFileSync('s.yaml', 'utf8'))
const gateway = project.resources.gateway
const props = gateway.props

// Serverless Devs fills ${vars.x} from the vars block, ${env('X')} from the deployer's shell or .env, and
// config() from the deployer's access keys.
function render(text: string): string {
  return text
    .replace(/\$\{vars\.(\w+)\}/g, (_, name: string) => String(project.vars[name]))
    .replace(/\$\{env\('(\w+)'\)\}/g, (_, name: string) =>
      name === 'GATEWAY_API_KEYS' ? 'deployer-key' : '',
    )
    .replace(/\$\{config\('AccountID'\)\}/g, '1234567890')
}
const resolvedProps = JSON.parse(render(JSON.stringify(props)))

// The fc3 component's JSON Schema, kept beside the tests so that a clone anywhere can run them.
const SCHEMA = 'test/fixtures/fc3-component-schema.json'
const SHARED_SCHEMA = '../shared/fc3-component-schema.json'
const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'))
const validateProps = new Ajv({ strict: false, allErrors: true }).compile(schema)

// A commented-out example, uncommented and rendered: the block after `# --- example: <name>`.
function example(name: string): unknown {
  const text = readFileSync('s.yaml', 'utf8')
  const start = text.indexOf(`# --- example: ${name}`)
  if (start < 0) throw new Error(`s.yaml has no example ${name}`)
  const block = text.slice(start, text.indexOf('# --- end of example', start))
  const lines = block
    .split('\n')
    .slice(1)
    .map((line) => line.replace(/^(\s*)# ?/, '$1'))
  return parse(render(lines.join('\n')))
}
const exampleTriggers = () => example('MNS queue trigger') as Record<string, unknown>[]
const httpTrigger = () =>
  props.triggers.find((trigger: { triggerType: string }) => trigger.triggerType === 'http')

describe('the fc3 schema the tests use', () => {
  it('is the one shared with the project, wherever that copy is present', () => {
    // Assess: CI always has ../shared beside the clone; a clone elsewhere has only the fixture
    const shared = existsSync(SHARED_SCHEMA) ? JSON.parse(readFileSync(SHARED_SCHEMA, 'utf8')) : schema
    expect(schema).toEqual(shared)
  })
})

describe('s.yaml', () => {
  it('is a Serverless Devs 3 project with an fc3 resource on nodejs20', () => {
    // Assess
    expect(project.edition).toBe('3.0.0')
    expect(gateway.component).toBe('fc3')
    expect(props.runtime).toBe('nodejs20')
  })

  it('matches the fc3 component’s schema', () => {
    // Act
    const valid = validateProps(resolvedProps)

    // Assess
    expect(validateProps.errors ?? []).toEqual([])
    expect(valid).toBe(true)
  })

  it('keeps its commented-out asyncInvokeConfig valid once uncommented, with an onFailure destination', () => {
    // Prepare
    const withExample = { ...resolvedProps, ...(example('asyncInvokeConfig') as object) }

    // Act
    const valid = validateProps(withExample)

    // Assess
    expect(validateProps.errors ?? []).toEqual([])
    expect(valid).toBe(true)
    expect(withExample.asyncInvokeConfig).toMatchObject({
      maxAsyncRetryAttempts: expect.any(Number),
      maxAsyncEventAgeInSeconds: expect.any(Number),
      destinationConfig: {
        onFailure: { destination: 'acs:mns:cn-shanghai:1234567890:/queues/iot-pub-failed/messages' },
      },
    })
  })

  it('retries its example EventBridge trigger for a day, then sends the event to a dead-letter queue', () => {
    // Act
    const [trigger] = exampleTriggers()

    // Assess
    expect(trigger).toMatchObject({
      triggerConfig: {
        runOptions: {
          errorsTolerance: 'ALL',
          retryStrategy: { PushRetryStrategy: 'EXPONENTIAL_DECAY_RETRY' },
          deadLetterQueue: { Arn: 'acs:mns:cn-shanghai:1234567890:/queues/iot-commands-dead-letter' },
        },
      },
    })
  })

  it('keeps its commented-out ALLOWED_PRODUCT_KEYS and ALLOWED_TOPICS examples valid settings', () => {
    // Prepare
    const text = readFileSync('s.yaml', 'utf8')
    const lines = text.split('\n').filter((line) => /^\s*# (ALLOWED_PRODUCT_KEYS|ALLOWED_TOPICS):/.test(line))
    const examples = parse(lines.map((line) => line.replace(/^\s*# /, '')).join('\n')) as Record<
      string,
      string
    >

    // Act
    const config = loadConfig({ ...resolvedProps.environmentVariables, ...examples })

    // Assess
    expect(Object.keys(examples)).toEqual(['ALLOWED_PRODUCT_KEYS', 'ALLOWED_TOPICS'])
    expect(config.allowedProductKeys?.length).toBeGreaterThan(0)
    expect(config.allowedTopics?.length).toBeGreaterThan(0)
  })

  it('keeps every log line with logConfig: auto and leaves instanceConcurrency unset (nodejs20 has none)', () => {
    // Assess
    expect(props.logConfig).toBe('auto')
    expect(props).not.toHaveProperty('instanceConcurrency')
  })

  it('keeps its commented-out MNS trigger valid once uncommented', () => {
    // Prepare
    const withExample = { ...resolvedProps, triggers: [...resolvedProps.triggers, ...exampleTriggers()] }

    // Act
    const valid = validateProps(withExample)

    // Assess
    expect(validateProps.errors ?? []).toEqual([])
    expect(valid).toBe(true)
    expect(exampleTriggers()).toEqual([
      expect.objectContaining({
        triggerType: 'eventbridge',
        triggerConfig: expect.objectContaining({
          eventSourceConfig: expect.objectContaining({ eventSourceType: 'MNS' }),
        }),
      }),
    ])
  })

  it('has a disabled example timer whose payload the gateway accepts', () => {
    // Prepare
    const timer = props.triggers.find((trigger: { triggerType: string }) => trigger.triggerType === 'timer')

    // Act
    const request = readPublishRequest(JSON.parse(timer.triggerConfig.payload), {
      maxPayloadBytes: 262_144,
      maxBatchSize: 100,
    })

    // Assess
    expect(timer.triggerConfig.enable).toBe(false)
    expect(request.parameters).toHaveLength(1)
  })

  it('points code and handler at the export the build produces', () => {
    // Prepare
    const [file, exported] = String(props.handler).split('.')
    const bundle = resolve(props.code, `${file}.js`)

    // Act
    const module = require(bundle) as Record<string, unknown>

    // Assess
    expect(typeof module[exported ?? '']).toBe('function')
  })

  it('exposes an anonymous HTTP trigger for POST that the gateway guards with API keys from the deployer’s environment', () => {
    // Assess: the key is never a literal of s.yaml
    expect(httpTrigger().triggerConfig).toMatchObject({ authType: 'anonymous', methods: ['POST'] })
    expect(props.environmentVariables).toMatchObject({
      GATEWAY_AUTH: 'api-key',
      GATEWAY_API_KEYS: ['$', "{env('GATEWAY_API_KEYS')}"].join(''),
    })
  })

  it('is read by the local runner as Serverless Devs renders it', () => {
    // Act
    const settings = readFunctionSettings('s.yaml', { GATEWAY_API_KEYS: 'deployer-key' })

    // Assess
    expect(settings).toMatchObject({
      name: props.functionName,
      region: 'cn-shanghai',
      httpAuthType: 'anonymous',
    })
    expect(settings.environment).toEqual(resolvedProps.environmentVariables)
  })

  it('sets a role and the gateway’s variables, none of FC’s reserved ones, within 4 KB', () => {
    // Prepare
    const variables = resolvedProps.environmentVariables as Record<string, string>

    // Assess
    expect(props.role).toMatch(/^acs:ram::.+:role\/.+/)
    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining(['IOT_REGION', 'IOT_INSTANCE_ID', 'MAX_PAYLOAD_BYTES']),
    )
    expect(Object.keys(variables).filter((name) => name.startsWith('FC_'))).toEqual([])
    expect(Buffer.byteLength(JSON.stringify(variables))).toBeLessThanOrEqual(4096)
  })

  it('leaves caller authentication to FC only where the trigger authenticates callers', () => {
    // Prepare
    const http = httpTrigger()
    const variables = resolvedProps.environmentVariables as Record<string, string>

    // Assess: GATEWAY_AUTH=none is safe only behind authType function or jwt
    if (variables.GATEWAY_AUTH === 'none') expect(['function', 'jwt']).toContain(http.triggerConfig.authType)
    else expect(variables.GATEWAY_API_KEYS ?? '').not.toBe('')
  })

  it('gives memory and timeout FC accepts', () => {
    // Assess
    expect(props.memorySize % 64).toBe(0)
    expect(props.timeout).toBeGreaterThanOrEqual(10)
  })
})
