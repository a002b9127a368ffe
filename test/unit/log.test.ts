import { describe, expect, it } from 'vitest'
import { createLogger, describeError } from '../../lib/log.js'

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

  it.each(['accessKeySecret', 'securityToken', 'Signature', 'authorization', 'apiKey', 'credentials'])(
    'masks a field named %s at any depth',
    (key) => {
      // Prepare
      const { logger, lines } = capture()

      // Act
      logger.error('failed', { outer: { [key]: 'very-secret-value' } })

      // Assess
      expect(lines[0]).not.toContain('very-secret-value')
      expect(lines[0]).toContain('[redacted]')
    },
  )

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
