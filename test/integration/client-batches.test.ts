import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGatewayClient } from '../../client/gateway-client.js'
import { LOCAL_FC_CALLER, type LocalGateway, startLocalGateway } from '../../dev/local/runner.js'
import { aMessage } from '../helpers/factories.js'

let gateway: LocalGateway
const environmentBefore = { ...process.env }

beforeAll(async () => {
  gateway = await startLocalGateway({ port: 0, dotEnv: '/nonexistent/.env' })
})

afterAll(async () => {
  await gateway.stop()
  process.env = environmentBefore
})

const client = (maxBatchSize: number) =>
  createGatewayClient({
    accountId: '1234567890',
    region: 'cn-shanghai',
    credentials: LOCAL_FC_CALLER,
    functionName: 'iot-pub-gateway',
    endpoint: gateway.url,
    maxBatchSize,
  })

describe('publishBatch over the batch limit', () => {
  it('splits the array into invocations of maxBatchSize and returns every result in order', async () => {
    // Prepare
    const messages = Array.from({ length: 7 }, (_, index) => aMessage({ payload: index }))
    const deliveredBefore = gateway.emulator?.delivered.length ?? 0

    // Act
    const results = await client(3).publishBatch(messages)

    // Assess
    expect(results).toHaveLength(7)
    expect(results.every((result) => 'messageId' in result)).toBe(true)
    expect(gateway.emulator?.delivered.slice(deliveredBefore).map((m) => m.payload.toString())).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
    ])
  })

  it('sends the gateway’s own limit of 100 at once by default, and 250 in three invocations', async () => {
    // Prepare
    const messages = Array.from({ length: 250 }, () => aMessage())

    // Act
    const results = await createGatewayClient({
      accountId: '1234567890',
      region: 'cn-shanghai',
      credentials: LOCAL_FC_CALLER,
      functionName: 'iot-pub-gateway',
      endpoint: gateway.url,
    }).publishBatch(messages)

    // Assess: one invocation of 250 would be refused whole by MAX_BATCH_SIZE
    expect(results).toHaveLength(250)
    expect(results.every((result) => 'messageId' in result)).toBe(true)
  })

  it('keeps what was published when a later invocation is refused: its messages and the rest get the refusal', async () => {
    // Prepare: the second invocation holds an invalid message, so the gateway refuses it whole
    const messages = [
      aMessage(),
      aMessage(),
      aMessage(),
      aMessage(),
      aMessage({ qos: 7 as 0 }),
      aMessage(),
      aMessage(),
    ]

    // Act
    const results = await client(3).publishBatch(messages)

    // Assess
    expect(results.slice(0, 3).every((result) => 'messageId' in result)).toBe(true)
    expect(results.slice(3)).toEqual(
      Array.from({ length: 4 }, () => ({
        error: expect.objectContaining({ code: 'InvalidRequest' }),
        status: 400,
      })),
    )
  })

  it('throws when the first invocation is refused: nothing was published', async () => {
    // Act
    const act = client(3).publishBatch([aMessage({ qos: 7 as 0 }), aMessage(), aMessage(), aMessage()])

    // Assess
    await expect(act).rejects.toThrow(/InvalidRequest/)
  })
})
