import { Ajv2020 } from 'ajv/dist/2020.js'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { buildOpenApiDocument } from '../../client/openapi.js'
import { FAULTS } from '../../dev/iot-emulator/faults.js'
import type { FcHttpResponse } from '../../lib/fc/types.js'
import { useEmulator } from '../helpers/emulator.js'
import { aMessage, anFcContext, anHttpEvent, asFcEvent } from '../helpers/factories.js'
import { type BuiltHandler, emulatorEnv, loadBuiltGateway } from '../helpers/gateway.js'

const emulator = useEmulator()

type Answer = FcHttpResponse & {
  json: { error: { code: string; message: string; details: { pointer: string; message: string }[] } }
}

async function post(
  handler: BuiltHandler,
  body: unknown,
  overrides: Parameters<typeof anHttpEvent>[1] = {},
): Promise<Answer> {
  const response = (await handler(asFcEvent(anHttpEvent(body, overrides)), anFcContext())) as FcHttpResponse
  return { ...response, json: JSON.parse(response.body) }
}

describe('answers that say what to do', () => {
  let handler: BuiltHandler

  beforeEach(() => {
    handler = loadBuiltGateway(emulatorEnv(emulator()))
  })

  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it.each([
    ['the string "1"', '1', 'must be 0 or 1, as a JSON number, not the string "1"'],
    ['true', true, 'must be 0 or 1, as a JSON number, not true'],
    ['null', null, 'must be 0 or 1, as a JSON number, not null'],
    ['2', 2, 'must be 0 or 1'],
  ])('qos %s: names the allowed values and that it must be a number', async (_, qos, message) => {
    // Act
    const answer = await post(handler, { ...aMessage(), qos })

    // Assess
    expect(answer.statusCode).toBe(400)
    expect(answer.json.error.details).toEqual([{ pointer: '/qos', message }])
  })

  it('malformed JSON: says where, by line, column and offset, without quoting the body back', async () => {
    // Prepare
    const body = '{\n  "productKey": "a1Q5XoYtest",\n  "deviceName": "device1"\n  "topic": "get"\n}'

    // Act
    const answer = await post(handler, body)

    // Assess
    expect(answer.statusCode).toBe(400)
    expect(answer.json.error.message).toBe(
      "The request body is not valid JSON: at line 4, column 3 (offset 61): expected ',' or '}' after property value",
    )
  })

  it.each([
    ['a trailing comma', '{"a": [1, 2,]}', 'at line 1, column 13 (offset 12): unexpected token'],
    ['single quotes', "{\n'a': 1}", 'at line 2, column 1 (offset 2)'],
    [
      'a cut string',
      '{"productKey": "a1',
      'it ends too early, at line 1, column 19 (offset 18): unterminated string',
    ],
    [
      'a cut object',
      '{"productKey": "a1"',
      "it ends too early, at line 1, column 20 (offset 19): expected ',' or '}'",
    ],
  ])('malformed JSON with %s: says where', async (_, body, where) => {
    // Act
    const answer = await post(handler, body)

    // Assess
    expect(answer.json.error.message).toContain(`not valid JSON: ${where}`)
  })

  it('locates any single-character corruption of a message, never echoing the text', async () => {
    const text = JSON.stringify(aMessage({ payload: { list: [1, 2, 3], text: 'x' } }), null, 2)
    await fc.assert(
      fc.asyncProperty(
        fc.nat(text.length - 1),
        fc.constantFrom('{', ']', ',', ':', '"', "'", 'x'),
        async (at, character) => {
          // Prepare
          const corrupted = `${text.slice(0, at)}${character}${text.slice(at + 1)}`
          fc.pre(!isJson(corrupted))

          // Act
          const answer = await post(handler, corrupted)

          // Assess
          expect(answer.statusCode).toBe(400)
          expect(answer.json.error.message).toMatch(
            /^The request body is not valid JSON: (it ends too early, )?at line \d+, column \d+ \(offset \d+\)/,
          )
          const offset = Number(/offset (\d+)/.exec(answer.json.error.message)?.[1])
          expect(offset).toBeLessThanOrEqual(corrupted.length)
          expect(answer.json.error.message).not.toContain('a1Q5XoYtest')
        },
      ),
      { numRuns: 60 },
    )
  })

  it.each([
    [
      'starting with "/"',
      '/a1Q5XoYtest/device1/user/get',
      'send "/a1Q5XoYtest/device1/user/get" as topicFullName',
    ],
    [
      'without its leading "/"',
      'a1Q5XoYtest/device1/user/get',
      'send "/a1Q5XoYtest/device1/user/get" as topicFullName',
    ],
  ])('a full topic in topic, %s: points to topicFullName', async (_, topic, hint) => {
    // Prepare
    const deliveredBefore = emulator().delivered.length

    // Act
    const answer = await post(handler, aMessage({ topic }))

    // Assess
    expect(answer.statusCode).toBe(400)
    expect(answer.json.error.details).toEqual([{ pointer: '/topic', message: expect.stringContaining(hint) }])
    expect(emulator().delivered).toHaveLength(deliveredBefore)
  })

  it('still accepts a short topic of several levels', async () => {
    // Act
    const answer = await post(handler, aMessage({ topic: 'cmd/user/set' }))

    // Assess
    expect(answer.statusCode).toBe(200)
  })

  it('a bare array: points to {"messages": [...]}', async () => {
    // Prepare
    const deliveredBefore = emulator().delivered.length

    // Act
    const answer = await post(handler, [aMessage(), aMessage()])

    // Assess
    expect(answer.statusCode).toBe(400)
    expect(answer.json.error.message).toBe('A batch is an object: send {"messages": [...]}, not a bare array')
    expect(emulator().delivered).toHaveLength(deliveredBefore)
  })

  it.each([
    ['application/json; charset=iso-8859-1', 'iso-8859-1'],
    ['application/json;charset="UTF-16"', 'UTF-16'],
  ])('%s: says the charset is the problem', async (contentType, charset) => {
    // Act
    const answer = await post(handler, aMessage(), {
      headers: { 'Content-Type': contentType, Authorization: 'Bearer test-api-key-4f1c9a7e2b' },
    })

    // Assess
    expect(answer.statusCode).toBe(415)
    expect(answer.json.error.message).toContain(
      `The charset "${charset}" is not accepted: send the JSON in UTF-8`,
    )
  })

  it('another content type is still named as the content type', async () => {
    // Act
    const answer = await post(handler, aMessage(), {
      headers: { 'Content-Type': 'text/plain', Authorization: 'Bearer test-api-key-4f1c9a7e2b' },
    })

    // Assess
    expect(answer.json.error.message).toBe('Content type "text/plain" is not accepted; send application/json')
  })
})

describe('one documented shape for every answer', () => {
  let handler: BuiltHandler

  beforeEach(() => {
    handler = loadBuiltGateway(emulatorEnv(emulator()))
  })

  afterEach(() => {
    vi.unstubAllEnvs()
  })

  // The response schema /openapi.json gives for a status, as a validator.
  function documented(status: number) {
    const document = buildOpenApiDocument() as {
      paths: {
        '/': { post: { responses: Record<string, { content: { 'application/json': { schema: object } } }> } }
      }
      components: object
    }
    const schema = document.paths['/'].post.responses[String(status)]?.content['application/json'].schema
    const ajv = new Ajv2020({ strict: false })
    return ajv.compile({ ...schema, components: document.components })
  }

  it('a batch in which every message failed answers its first failure’s status, in the batch form the document gives for it', async () => {
    // Prepare
    emulator().inject(FAULTS.html502, { times: 1_000 })
    handler = loadBuiltGateway(emulatorEnv(emulator(), { DEADLINE_MARGIN_MS: '2800' }))

    // Act
    const answer = await post(handler, { messages: [aMessage(), aMessage()] })
    const matches = documented(answer.statusCode)

    // Assess
    expect(answer.statusCode).toBeGreaterThanOrEqual(500)
    expect(JSON.parse(answer.body)).toHaveProperty('results')
    expect(matches(JSON.parse(answer.body))).toBe(true)
  })

  it.each([
    ['a refusal of the whole request', { messages: [aMessage({ qos: 7 as 0 })] }, 400],
    ['one message published', aMessage(), 200],
  ])('%s matches what the document gives for its status', async (_, body, status) => {
    // Act
    const answer = await post(handler, body)

    // Assess
    expect(answer.statusCode).toBe(status)
    expect(documented(status)(JSON.parse(answer.body))).toBe(true)
  })

  it.each([
    ['no key and the wrong method', { method: 'GET', headers: {} }, 401],
    ['a key and the wrong method', { method: 'GET' }, 405],
    [
      'a key, POST and text/plain',
      { headers: { 'Content-Type': 'text/plain', Authorization: 'Bearer test-api-key-4f1c9a7e2b' } },
      415,
    ],
  ])('checks in the documented order: %s answers %i', async (_, overrides, status) => {
    // Act
    const answer = await post(handler, 'not json', overrides)

    // Assess
    expect(answer.statusCode).toBe(status)
  })
})

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
