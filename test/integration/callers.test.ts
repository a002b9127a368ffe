import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import FCClient from '@alicloud/fc2'
import { Validator } from '@seriousme/openapi-schema-validator'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../client/cli.js'
import { GatewayRefusedError } from '../../client/gateway-client.js'
import { LOCAL_FC_CALLER } from '../../dev/local/runner.js'
import { messageSchema } from '../../lib/message/schema.js'
import { captureCliIo } from '../helpers/cli-io.js'
import { aMessage } from '../helpers/factories.js'
import { aLocalClient, useLocalGateway } from '../helpers/local-gateway.js'

const localGateway = useLocalGateway()

afterEach(() => {
  localGateway().emulator?.clearFaults()
})

const client = (overrides = {}) => aLocalClient(localGateway(), overrides)

describe('the typed client through the local invoke API', () => {
  it('publishes one message and returns IoT’s ids', async () => {
    // Act
    const result = await client().publish(aMessage({ payload: 'from the client' }))

    // Assess
    expect(result).toEqual({
      messageId: localGateway().emulator?.delivered.at(-1)?.messageId,
      requestId: expect.any(String),
    })
    expect(localGateway().emulator?.delivered.at(-1)?.payload.toString()).toBe('from the client')
  })

  it('publishes a batch and returns a result per message, in order', async () => {
    // Act
    const results = await client().publishBatch([aMessage({ topic: 'a' }), aMessage({ topic: 'b' })])

    // Assess
    expect(results).toHaveLength(2)
    expect(results.every((result) => 'messageId' in result)).toBe(true)
  })

  it('turns a refusal into GatewayRefusedError with the field pointers', async () => {
    // Act
    const error = await client()
      .publish(aMessage({ qos: 3 as 0 }))
      .catch((thrown: unknown) => thrown)

    // Assess
    expect(error).toBeInstanceOf(GatewayRefusedError)
    expect(error).toMatchObject({
      code: 'InvalidRequest',
      details: [expect.objectContaining({ pointer: '/qos' })],
    })
  })

  it('is refused by the invoke API when signed with a wrong secret', async () => {
    // Act
    const error = await client({ credentials: { ...LOCAL_FC_CALLER, accessKeySecret: 'wrong' } })
      .publish(aMessage())
      .catch((thrown: unknown) => thrown)

    // Assess
    expect(error).toMatchObject({ code: 'SignatureNotMatch' })
  })

  it('answers an Async invocation with 202 and publishes afterwards', async () => {
    // Prepare
    const fc = new FCClient('1234567890', {
      ...LOCAL_FC_CALLER,
      accessKeyID: LOCAL_FC_CALLER.accessKeyId,
      region: 'cn-shanghai',
      endpoint: localGateway().url,
    })
    const before = localGateway().emulator?.delivered.length ?? 0

    // Act
    const response = await fc.invokeFunction(
      'default',
      'iot-pub-gateway',
      JSON.stringify(aMessage({ payload: 'later' })),
      {
        'x-fc-invocation-type': 'Async',
      },
    )
    await expect.poll(() => localGateway().emulator?.delivered.length).toBe(before + 1)

    // Assess: the answer came before the work, so it carries no result (a sync one would)
    expect(response.data).toBe('')
    expect(response.headers['x-fc-request-id']).toEqual(expect.any(String))
    expect(localGateway().emulator?.delivered.at(-1)?.payload.toString()).toBe('later')
  })

  it('answers 404 for another function', async () => {
    // Act
    const error = await client({ functionName: 'other' })
      .publish(aMessage())
      .catch((thrown: unknown) => thrown)

    // Assess
    expect(error).toMatchObject({ code: 'FunctionNotFound' })
  })
})

describe('the iot-pub CLI', () => {
  const io = (stdin = '', env: Record<string, string> = {}) => captureCliIo(env, stdin)

  it('publishes a message to an HTTP trigger URL and exits 0', async () => {
    // Prepare
    const { out, io: cliIo } = io('', { IOT_PUB_API_KEY: 'local-dev-key' })

    // Act
    const code = await runCli(
      [
        'publish',
        '--url',
        localGateway().url,
        '--product',
        'pk',
        '--device',
        'd1',
        '--topic',
        'cmd',
        '--payload',
        '{"on":true}',
        '--qos',
        '1',
        '--prop',
        'trace=t1',
      ],
      cliIo,
    )

    // Assess
    expect(code).toBe(0)
    expect(JSON.parse(out.join(''))).toHaveProperty('messageId')
    expect(localGateway().emulator?.delivered.at(-1)).toMatchObject({
      topicFullName: '/pk/d1/user/cmd',
      qos: 1,
      userProperties: [{ key: 'trace', value: 't1' }],
    })
    expect(localGateway().emulator?.delivered.at(-1)?.payload.toString()).toBe('{"on":true}')
  })

  it('sends text that is not JSON as a string payload', async () => {
    // Act
    const code = await runCli(
      [
        'publish',
        '--url',
        localGateway().url,
        '--api-key',
        'local-dev-key',
        '--product',
        'pk',
        '--device',
        'd',
        '--topic',
        't',
        '--payload',
        'hello',
      ],
      io().io,
    )

    // Assess
    expect(code).toBe(0)
    expect(localGateway().emulator?.delivered.at(-1)?.payload.toString()).toBe('hello')
  })

  it('publishes a batch from stdin through InvokeFunction', async () => {
    // Prepare
    const { out, io: cliIo } = io(JSON.stringify([aMessage({ topic: 'x' }), aMessage({ topic: 'y' })]), {
      ALIBABA_CLOUD_ACCESS_KEY_ID: LOCAL_FC_CALLER.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: LOCAL_FC_CALLER.accessKeySecret,
    })

    // Act
    const code = await runCli(
      [
        'publish',
        '--file',
        '-',
        '--function',
        'iot-pub-gateway',
        '--account-id',
        '1',
        '--region',
        'cn-shanghai',
        '--endpoint',
        localGateway().url,
      ],
      cliIo,
    )

    // Assess
    expect(code).toBe(0)
    expect(JSON.parse(out.join('')).results).toHaveLength(2)
  })

  it('publishes a batch from a file', async () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'iot-pub-')), 'batch.json')
    writeFileSync(file, JSON.stringify({ messages: [aMessage()] }))

    // Act + Assess
    expect(
      await runCli(
        ['publish', '--file', file, '--url', localGateway().url, '--api-key', 'local-dev-key'],
        io().io,
      ),
    ).toBe(0)
  })

  it('exits 1 with the gateway’s answer when the message is refused', async () => {
    // Prepare
    const { out, io: cliIo } = io()

    // Act
    const code = await runCli(
      [
        'publish',
        '--url',
        localGateway().url,
        '--api-key',
        'local-dev-key',
        '--product',
        'pk',
        '--device',
        'd',
        '--topic',
        'a#',
      ],
      cliIo,
    )

    // Assess
    expect(code).toBe(1)
    expect(JSON.parse(out.join('')).error.code).toBe('InvalidRequest')
  })

  it.each([
    ['no command', []],
    ['an unknown flag', ['publish', '--produkt', 'pk']],
    ['no product', ['publish', '--device', 'd']],
    ['a malformed property', ['publish', '--product', 'pk', '--prop', 'novalue']],
    ['--function without its account', ['publish', '--product', 'pk', '--function', 'gw']],
  ])('exits 2 for %s', async (_, argv) => {
    // Act + Assess
    expect(await runCli(argv, io().io)).toBe(2)
  })

  it('explains every flag with --help and exits 0', async () => {
    // Prepare
    const { out, io: cliIo } = io()

    // Act
    const code = await runCli(['--help'], cliIo)

    // Assess
    expect(code).toBe(0)
    for (const flag of [
      '--product',
      '--device',
      '--topic',
      '--payload',
      '--file',
      '--url',
      '--function',
      '--qos',
      '--prop',
    ]) {
      expect(out.join('')).toContain(flag)
    }
  })
})

describe('the OpenAPI description', () => {
  it('is served at /openapi.json and is valid OpenAPI 3.1', async () => {
    // Act
    const document = (await (await fetch(`${localGateway().url}/openapi.json`)).json()) as Record<
      string,
      unknown
    >
    const result = await new Validator().validate(document)

    // Assess
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(document.openapi).toBe('3.1.0')
  })

  it('describes the message with the very schema the gateway validates with', async () => {
    // Act
    const document = (await (await fetch(`${localGateway().url}/openapi.json`)).json()) as {
      components: { schemas: { PublishMessage: typeof messageSchema } }
    }

    // Assess: the same schema, its payload fields telling the deployment's limit as well
    const { $id: _id, properties, ...schema } = messageSchema
    const { properties: described, ...served } = document.components.schemas.PublishMessage
    expect(served).toEqual(JSON.parse(JSON.stringify(schema)))
    const withoutLimits = (fields: object) =>
      Object.fromEntries(
        Object.entries(JSON.parse(JSON.stringify(fields)) as Record<string, Record<string, unknown>>).map(
          ([name, { description: _d, maxLength, ...rest }]) => [
            name,
            name === 'payloadBase64' ? rest : { maxLength, ...rest },
          ],
        ),
      )
    expect(withoutLimits(described)).toEqual(withoutLimits(properties))
  })
})
