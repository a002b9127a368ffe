import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// A caller's project: strict, Node's resolution, and no @types/node anywhere it looks.
function compileConsumer(source: string): string[] {
  const folder = mkdtempSync(join(tmpdir(), 'client-consumer-'))
  const file = join(folder, 'consumer.ts')
  writeFileSync(file, source)
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: [],
    typeRoots: [],
    skipLibCheck: false,
  })
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
}

const declarations = resolve('dist/types/client/gateway-client.js')

describe('the typed client’s declarations (dist/types)', () => {
  it('compile in a caller’s project without @types/node', () => {
    // Act
    const errors = compileConsumer(`
      import { createGatewayClient, type PublishMessage, type BatchItemResult } from ${JSON.stringify(declarations)}
      const message: PublishMessage = { productKey: 'pk', deviceName: 'd', topic: 'get', payload: { on: true }, qos: 1 }
      const gateway = createGatewayClient({ accountId: '1', region: 'cn-shanghai', credentials: { accessKeyId: 'a', accessKeySecret: 'b' }, functionName: 'f', maxBatchSize: 50 })
      const results: Promise<BatchItemResult[]> = gateway.publishBatch([message])
      void gateway.publish(message).then((result) => result.messageId.length)
      void results
    `)

    // Assess
    expect(errors).toEqual([])
  })

  it('still type the message: a wrong qos does not compile', () => {
    // Act
    const errors = compileConsumer(`
      import type { PublishMessage } from ${JSON.stringify(declarations)}
      const message: PublishMessage = { productKey: 'pk', deviceName: 'd', topic: 'get', payload: 1, qos: 2 }
      void message
    `)

    // Assess
    expect(errors.join('\n')).toMatch(/Type '2' is not assignable to type '0 \| 1/)
  })
})
