import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createLogger, describeError, Redaction } from '../../lib/log.js'
import { spellingsOf } from '../helpers/secrets.js'

function capture() {
  const lines: string[] = []
  return { logger: createLogger((line) => lines.push(line)), lines }
}

describe('createLogger', () => {
  it('writes one JSON line with level, time, message and fields', () => {
    // Prepare
    const { logger, lines } = capture()

    // Act
    logger.info('published', { messageId: '1889455942124347329' })

    // Assess
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'info',
      msg: 'published',
      messageId: '1889455942124347329',
    })
  })

  it.each([
    'accessKeySecret',
    'securityToken',
    'Signature',
    'authorization',
    'apiKey',
    'credentials',
    'password',
  ])('masks a field named %s at any depth', (key) => {
    // Prepare
    const { logger, lines } = capture()

    // Act
    logger.error('failed', { outer: { [key]: 'very-secret-value' } })

    // Assess
    expect(lines[0]).not.toContain('very-secret-value')
    expect(lines[0]).toContain('[redacted]')
  })

  it('scrubs registered secret values from any text', () => {
    // Prepare
    const { logger, lines } = capture()
    logger.addSecret('rotating-role-secret-42')

    // Act
    logger.error('failed with rotating-role-secret-42 inside', { detail: 'x rotating-role-secret-42 y' })

    // Assess
    expect(lines[0]).not.toContain('rotating-role-secret-42')
  })

  it('scrubs signed query fragments and bearer tokens from text', () => {
    // Prepare
    const { logger, lines } = capture()

    // Act
    logger.warn('upstream', {
      text: 'GET /?AccessKeyId=LTAIabc&Signature=abc%3D&SecurityToken=tok Bearer key-123',
    })

    // Assess
    expect(lines[0]).not.toMatch(/LTAIabc|abc%3D|=tok|key-123/)
  })

  it('scrubs the request URL pop-core appends to its messages', () => {
    // Prepare
    const { logger, lines } = capture()

    // Act
    logger.error('failed', {
      cause: { message: 'undefined, URL: https://iot.cn-shanghai.aliyuncs.com/?Action=Pub&Timestamp=x' },
    })

    // Assess
    expect(lines[0]).not.toContain('aliyuncs.com')
  })
})

describe('Redaction', () => {
  // Text built from what the redaction reacts to, from what JSON escapes, and from plain words (the most
  // frequent, so that one trigger often stands alone in a line).
  const text = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'Signature=',
          'SecurityToken=',
          'AccessKeySecret=',
          'AccessKeyId=',
          'URL:',
          'Signature%3D',
          'SecurityToken%253D',
          'AccessKeyId%3D',
          'accesskeyid%3d',
          'string to sign is:',
          '%26',
          '%2526',
        ),
        fc.constantFrom(
          'Bearer',
          'FC',
          'secret',
          'Token',
          'api_key',
          'Authorization',
          'Credential',
          'PASSWORD',
        ),
        fc.constantFrom(' ', '\n', '\t', '\u000b', '\u00a0', '\u2028', '"', "'", '\\', '&', ',', '\ud800'),
        { arbitrary: fc.constantFrom('abc', 'x9', 'é', 'rotating-9f3k2', 'quote"k3y'), weight: 4 },
      ),
      { maxLength: 5 },
    )
    .map((parts) => parts.join(''))
  const secret = fc.oneof(
    fc.constantFrom('rotating-9f3k2', 'quote"k3y', 'tab\tvalue-9'),
    text.filter((value) => value.length >= 8),
  )
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      text,
      fc.integer(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(text, tie('value'), { maxKeys: 3 }),
    ),
  }))

  it('writes exactly what the redacting replacer writes, whatever the fields and secrets', () => {
    fc.assert(
      fc.property(
        fc.dictionary(text, value, { maxKeys: 4 }),
        fc.uniqueArray(secret, { maxLength: 3 }),
        (fields, secretList) => {
          // Prepare
          const redaction = new Redaction()
          for (const secret of secretList) redaction.addSecret(secret)

          // Act
          const line = redaction.json(fields)

          // Assess
          expect(line).toBe(JSON.stringify(fields, redaction.replacer))
        },
      ),
      {
        numRuns: 3000,
        // Each trigger alone in a line, and whitespace that JSON escapes after a scheme.
        examples: [
          [{ detail: 'Bearer\u000bk3y-1' }, []],
          [{ detail: 'FC\nk3y-1:x' }, []],
          [{ detail: 'x AccessKeyId=LTAI5t' }, []],
          [{ deviceCredential: 'abc' }, []],
        ],
      },
    )
  })
})

// A token shaped like an STS SecurityToken: long base64, with `+`, `/` and `=`.
const stsToken = fc
  .array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'), {
    minLength: 8,
    maxLength: 400,
  })
  .map((characters) => `CAIS${characters.join('')}+/=`)

const encode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
describe('secrets in every spelling', () => {
  it('masks a registered STS-shaped token raw, percent-encoded once and twice, whatever the text around it', () => {
    fc.assert(
      fc.property(
        stsToken,
        fc.integer({ min: 0, max: 5 }),
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        (token, spelling, before, after) => {
          // Prepare
          const { logger, lines } = capture()
          logger.addSecret(token)
          const written = spellingsOf(token)[spelling] as string

          // Act
          logger.error('failed', { cause: { message: `${before}${written}${after}` }, detail: written })

          // Assess
          for (const form of spellingsOf(token)) expect(lines[0]).not.toContain(form)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('masks what POP quotes for SignatureDoesNotMatch, unregistered token and key id included', () => {
    fc.assert(
      fc.property(stsToken, (token) => {
        // Prepare: POP's message quotes the whole query percent-encoded twice
        const { logger, lines } = capture()
        const query = `AccessKeyId=STS.NT7x9&Action=Pub&SecurityToken=${encode(token)}&Version=2018-01-20`
        const message = `Specified signature is not matched with our calculation. server string to sign is:POST&%2F&${encode(query)}`

        // Act
        logger.error('invocation', { cause: { name: 'SignatureDoesNotMatchError', message, stack: message } })

        // Assess
        for (const form of spellingsOf(token)) expect(lines[0]).not.toContain(form)
        expect(lines[0]).not.toContain('STS.NT7x9')
      }),
      { numRuns: 200 },
    )
  })

  it.each([
    ['a query', 'x SecurityToken=CAIS+abc/def= y'],
    ['a query encoded once', 'x SecurityToken%3DCAIS%2Babc%2Fdef%3D%26Version%3D1'],
    ['a query encoded twice', 'x SecurityToken%253DCAIS%252Babc%252Fdef%253D%2526Version'],
  ])('masks an unregistered token after its name in %s', (_, text) => {
    // Prepare
    const { logger, lines } = capture()

    // Act
    logger.warn('upstream', { text })

    // Assess
    expect(lines[0]).not.toMatch(/abc|def/)
    expect(lines[0]).toContain('[redacted]')
  })

  it('leaves ordinary words after a lower-case “fc” or “bearer” alone', () => {
    // Prepare
    const { logger, lines } = capture()

    // Act
    logger.info('invocation', { detail: 'the fc runtime, bearer of news' })

    // Assess
    expect(JSON.parse(lines[0] ?? '').detail).toBe('the fc runtime, bearer of news')
  })

  it('leaves text that merely resembles an encoding alone', () => {
    // Prepare
    const { logger, lines } = capture()

    // Act
    logger.info('published', { topic: '/a1Q5XoYxxxx/device1/user/get', percent: '100%25' })

    // Assess
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      topic: '/a1Q5XoYxxxx/device1/user/get',
      percent: '100%25',
    })
  })
})

describe('describeError', () => {
  it('keeps name, code, message and the cause chain', () => {
    // Prepare
    const error = new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }) })

    // Act
    const described = describeError(error)

    // Assess
    expect(described).toMatchObject({
      name: 'Error',
      message: 'outer',
      cause: { message: 'inner', code: 'ECONNRESET' },
    })
  })
})
