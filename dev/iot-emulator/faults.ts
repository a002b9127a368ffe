/**
 * Failures the emulator can be told to produce, for one call, N calls or a while: the ways IoT
 * Platform and the network between really fail.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** One way of failing a request. */
export type Fault =
  | { kind: 'answer'; status: number; body: string; contentType?: string; headers?: Record<string, string> }
  /** The connection is reset without an answer. */
  | { kind: 'reset' }
  /** No answer at all, until the caller gives up. */
  | { kind: 'hang' }
  /** The normal answer, late. */
  | { kind: 'delay'; ms: number }

/** How long an injected fault lasts: a number of requests, or a duration. */
export type FaultSpan = { times: number } | { durationMs: number }

const pop = (status: number, code: string, message: string): Fault => ({
  kind: 'answer',
  status,
  body: JSON.stringify({ RequestId: 'FAULT', HostId: 'iot.emulator.local', Code: code, Message: message }),
})

const business = (code: string, message: string): Fault => ({
  kind: 'answer',
  status: 200,
  body: JSON.stringify({ RequestId: 'FAULT', Success: false, Code: code, ErrorMessage: message }),
})

/** The throttling answers IoT gives, with the statuses seen for each: classify by code, never by status. */
export const THROTTLE_ANSWERS: Fault[] = [
  pop(400, 'Throttling.User', 'Request was denied due to user flow control.'),
  pop(503, 'Throttling', 'Request was denied due to flow control.'),
  pop(429, 'Throttling.Api', 'Request was denied due to api flow control.'),
  business('iot.messagebroker.RateLimit', 'The message rate exceeds the limit.'),
]

/** Ready-made faults. */
export const FAULTS = {
  serviceUnavailable: pop(
    503,
    'ServiceUnavailable',
    'The request has failed due to a temporary failure of the server.',
  ),
  internalError: pop(500, 'InternalError', 'The request processing has failed due to some unknown error.'),
  systemException: business('iot.system.SystemException', 'A system exception occurred.'),
  publishException: business(
    'iot.messagebroker.PublishMessageException',
    'An error occurred while publishing.',
  ),
  brokerTimeout: business('iot.messagebroker.TIMEOUT', 'The broker timed out.'),
  rateLimit: business('iot.messagebroker.RateLimit', 'The message rate exceeds the limit.'),
  throttling: pop(400, 'Throttling.User', 'Request was denied due to user flow control.'),
  successFalse: { kind: 'answer', status: 200, body: '{"RequestId":"FAULT","Success":false}' },
  html502: {
    kind: 'answer',
    status: 502,
    body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
    contentType: 'text/html',
  },
  reset: { kind: 'reset' },
  hang: { kind: 'hang' },
} satisfies Record<string, Fault>

/** An injected fault still to come: how many calls it has left, or until when it lasts. */
export interface PendingFault {
  kind: Fault['kind']
  status?: number
  calls?: number
  until?: string
}

/** A fault with how long it lasts, consumed as requests arrive. */
export class FaultSchedule {
  readonly #entries: { fault: Fault; left: number; until: number }[] = []

  /** Adds a fault for a number of requests (one by default) or for a duration from now. */
  add(fault: Fault, span: FaultSpan = { times: 1 }): void {
    if ('times' in span) this.#entries.push({ fault, left: span.times, until: Number.POSITIVE_INFINITY })
    else this.#entries.push({ fault, left: Number.POSITIVE_INFINITY, until: Date.now() + span.durationMs })
  }

  /** The fault for the request arriving now, if any. */
  next(): Fault | undefined {
    const now = Date.now()
    while (this.#entries.length > 0) {
      const entry = this.#entries[0]
      if (entry && entry.left > 0 && entry.until > now) {
        entry.left--
        return entry.fault
      }
      this.#entries.shift()
    }
    return undefined
  }

  /** The faults still to come, in the order they apply. */
  pending(): PendingFault[] {
    const now = Date.now()
    return this.#entries
      .filter((entry) => entry.left > 0 && entry.until > now)
      .map(({ fault, left, until }) => ({
        kind: fault.kind,
        ...(fault.kind === 'answer' && { status: fault.status }),
        ...(Number.isFinite(left) ? { calls: left } : { until: new Date(until).toISOString() }),
      }))
  }

  /** Forgets every fault. */
  clear(): void {
    this.#entries.length = 0
  }
}

/** Answers a call as the fault says: a canned answer, a reset connection, or nothing at all. */
export function applyFault(fault: Fault, request: IncomingMessage, response: ServerResponse): void {
  switch (fault.kind) {
    case 'answer':
      response.writeHead(fault.status, {
        'content-type': fault.contentType ?? 'application/json;charset=utf-8',
        ...fault.headers,
      })
      response.end(fault.body)
      return
    case 'reset':
      request.socket.resetAndDestroy()
      return
    case 'hang':
    case 'delay':
      // Left unanswered: the caller's timeout, or the emulator's stop, ends it.
      return
  }
}
