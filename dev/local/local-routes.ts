/**
 * Routes only the local runner serves, in front of the function: `GET /health`, and `/_emulator/…` to
 * steer the embedded IoT emulator (products and devices, quota, faults) without writing code. The
 * deployed bundle has none of them; on FC these paths reach the gateway like any other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { IotEmulator } from '../iot-emulator/server.js'
import { faultSpan, LocalSettingsError, parseFault } from './local-settings.js'

/** What `/health` reports: what runs, never a secret. */
export interface LocalHealth {
  status: 'ok'
  function: string
  port: number
  /** Where Pub calls go: the embedded emulator, or a real endpoint (its origin only). */
  iot: { target: 'emulator' | 'endpoint'; endpoint: string }
  /** How HTTP callers are authenticated, and where the accepted keys come from. */
  auth: { mode: string; keys?: 'local-dev-key' | 'GATEWAY_API_KEYS' }
}

/** The path prefix of the emulator's controls. */
export const EMULATOR_ADMIN_PATH = '/_emulator'

/**
 * Answers the request when it is one of the local routes.
 * @returns whether it was answered
 */
export async function answerLocalRoute(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  body: Buffer,
  health: () => LocalHealth,
  emulator: IotEmulator | undefined,
): Promise<boolean> {
  if (path === '/health' && request.method === 'GET') {
    sendJson(response, 200, health())
    return true
  }
  if (path !== EMULATOR_ADMIN_PATH && !path.startsWith(`${EMULATOR_ADMIN_PATH}/`)) return false
  if (!emulator) {
    sendJson(response, 404, problem('NoEmulator', 'IOT_ENDPOINT is set, so no emulator runs to be steered'))
    return true
  }
  try {
    const answered = steer(emulator, request.method ?? 'GET', path.slice(EMULATOR_ADMIN_PATH.length), body)
    if (answered) sendJson(response, 200, emulator.describe())
    else
      sendJson(
        response,
        404,
        problem(
          'NotFound',
          `No emulator control at ${request.method} ${path}; see docs/local-development.md`,
        ),
      )
  } catch (error) {
    if (!(error instanceof LocalSettingsError)) throw error
    sendJson(response, 400, problem('InvalidRequest', error.message))
  }
  return true
}

// Each control changes the emulator and answers with its state; false when none matches.
function steer(emulator: IotEmulator, method: string, path: string, body: Buffer): boolean {
  const product = /^\/products\/([^/]+)$/.exec(path)
  if (method === 'GET' && (path === '' || path === '/')) return true
  if (method === 'PUT' && product) {
    const { devices = [] } = readBody(body) as { devices?: unknown }
    if (!Array.isArray(devices) || !devices.every((name) => typeof name === 'string' && name !== '')) {
      throw new LocalSettingsError('devices must be an array of device names')
    }
    emulator.registerProduct(decodeURIComponent(product[1] ?? ''), devices as string[])
    return true
  }
  if (method === 'DELETE' && path === '/products') {
    emulator.clearProducts()
    return true
  }
  if (method === 'PUT' && path === '/quota') {
    const { qps } = readBody(body) as { qps?: unknown }
    if (qps !== null && !(Number.isSafeInteger(qps) && (qps as number) >= 1)) {
      throw new LocalSettingsError('qps must be a whole number of 1 or more, or null to lift the quota')
    }
    emulator.setQuota(qps === null ? undefined : (qps as number))
    return true
  }
  if (method === 'POST' && path === '/faults') {
    const { fault, times, seconds } = readBody(body) as Record<string, unknown>
    if (typeof fault !== 'string') throw new LocalSettingsError('fault must be the name of a fault')
    if (
      (times !== undefined && typeof times !== 'number') ||
      (seconds !== undefined && typeof seconds !== 'number')
    ) {
      throw new LocalSettingsError('times and seconds must be numbers')
    }
    const named = parseFault(fault, 'fault')
    const inline = times === undefined && seconds === undefined
    emulator.inject(named.fault, inline ? named.span : faultSpan('fault', times, seconds))
    return true
  }
  if (method === 'DELETE' && path === '/faults') {
    emulator.clearFaults()
    return true
  }
  return false
}

function readBody(body: Buffer): object {
  if (body.length === 0) return {}
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value
  } catch {
    // Answered below, as any body that is not an object.
  }
  throw new LocalSettingsError('the body must be a JSON object')
}

function problem(code: string, message: string) {
  return { error: { code, message } }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`)
}
