import { describe, expect, it } from 'vitest'
import { aMessage } from '../helpers/factories.js'
import { aLocalClient, useLocalGateway } from '../helpers/local-gateway.js'

const localGateway = useLocalGateway()

const client = (maxBatchSize: number) => aLocalClient(localGateway(), { maxBatchSize })

describe('publishBatch over the batch limit', () => {
  it('splits the array into invocations of maxBatchSize and returns every result in order', async () => {
    // Prepare
    const messages = Array.from({ length: 7 }, (_, index) => aMessage({ payload: index }))
    const deliveredBefore = localGateway().emulator?.delivered.length ?? 0

    // Act
    const results = await client(3).publishBatch(messages)

    // Assess
    expect(results).toHaveLength(7)
    expect(results.every((result) => 'messageId' in result)).toBe(true)
    expect(
      localGateway()
        .emulator?.delivered.slice(deliveredBefore)
        .map((m) => m.payload.toString()),
    ).toEqual(Array.from({ length: 7 }, (_, n) => String(n)))
  })

  it('sends the gateway’s own limit of 100 at once by default, and 250 in three invocations', async () => {
    // Prepare
    const messages = Array.from({ length: 250 }, () => aMessage())

    // Act
    const results = await aLocalClient(localGateway()).publishBatch(messages)

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
