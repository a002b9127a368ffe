/** Builders of the messages, FC events and contexts the tests feed the gateway. */
import type { FcContext, FcHttpEvent } from '../../lib/fc/types.js'
import type { PublishMessage } from '../../lib/message/schema.js'
import { TEST_API_KEY } from './secrets.js'

/** A valid message to a device's custom topic; override any field. */
export function aMessage(overrides: Partial<PublishMessage> & Record<string, unknown> = {}): PublishMessage {
  return {
    productKey: 'a1Q5XoYtest',
    deviceName: 'device1',
    topic: 'get',
    payload: { on: true },
    ...overrides,
  }
}

/** An FC 3.0 HTTP trigger event carrying `body`, from a caller presenting the test API key. */
export function anHttpEvent(
  body: unknown,
  overrides: Partial<FcHttpEvent> & { method?: string } = {},
): FcHttpEvent {
  const { method = 'POST', ...rest } = overrides
  return {
    version: 'v1',
    rawPath: '/',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_API_KEY}` },
    queryParameters: {},
    requestContext: {
      requestId: 'http-request-1',
      http: { method, path: '/', sourceIp: '127.0.0.1', userAgent: 'vitest' },
    },
    ...rest,
  }
}

/** An FC context without role credentials and with a 3 s timeout; override any field. */
export function anFcContext(overrides: Partial<FcContext> = {}): FcContext {
  return {
    requestId: `fc-request-${Math.random().toString(16).slice(2)}`,
    function: { name: 'iot-pub-gateway', handler: 'index.handler', memory: 512, timeout: 3 },
    region: 'cn-shanghai',
    accountId: '1234567890',
    ...overrides,
  }
}

/** The raw event FC would hand the handler for this value. */
export function asFcEvent(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}
