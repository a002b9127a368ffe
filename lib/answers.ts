/**
 * How each trigger is answered. HTTP callers get a status and a JSON body. Direct invocations, timers
 * and EventBridge get a result object, and fail only when a retry by FC or the source could help.
 */
import type { Settled } from './batch/publish-all.js'
import { type GatewayError, RetryableFailuresError } from './errors.js'
import { wasReplayed } from './idempotency/publish-once.js'
import type { EventOutcome, RelayOutcome } from './relay.js'
import { jsonResponse } from './triggers/http.js'
import type { TriggerKind } from './triggers/inbound.js'

/**
 * The answer to a relayed invocation.
 * @throws RetryableFailuresError when a non-HTTP trigger must fail so that it is retried
 */
export function answerOutcome(trigger: TriggerKind, outcome: RelayOutcome): unknown {
  switch (outcome.form) {
    case 'single':
      return trigger === 'http' ? jsonResponse(200, outcome.result) : outcome.result
    case 'batch':
      return answerBatch(trigger, outcome.outcomes)
    case 'events': {
      const failed = outcome.events
        .filter((event) => event.retryable.length > 0)
        .map((event) => event.id ?? `at index ${event.index}`)
      if (failed.length > 0) throw new RetryableFailuresError(`CloudEvents ${namedFew(failed)}`)
      const alreadyPublished = replayedEvents(outcome.events)
      return {
        published:
          outcome.events.reduce((sum, event) => sum + event.results.length, 0) -
          countReplayed(alreadyPublished),
        dropped: outcome.events
          .filter((event) => event.dropped.length > 0)
          .map(({ index, id, dropped }) => ({ index, id, errors: dropped })),
        // Messages a redelivery found published before: answered from their records, not sent again.
        ...(alreadyPublished.length > 0 ? { alreadyPublished } : {}),
      }
    }
  }
}

/**
 * The answer to a failed invocation, or the error to fail it with.
 * @returns `{ fail }` when FC or the source should retry, else `{ response }`
 */
export function answerError(
  trigger: TriggerKind,
  error: GatewayError,
): { response: unknown } | { fail: GatewayError } {
  if (trigger === 'http')
    return { response: jsonResponse(error.status, { error: error.toBody() }, error.headers) }
  return error.retryable ? { fail: error } : { response: { error: error.toBody() } }
}

// Named as dropped events are: by their place in the batch, and their id.
function replayedEvents(events: EventOutcome[]): { index: number; id?: string; messageIds: string[] }[] {
  return events.flatMap(({ index, id, results }) => {
    const messageIds = results.filter(wasReplayed).map((result) => result.messageId)
    return messageIds.length > 0 ? [{ index, id, messageIds }] : []
  })
}

function countReplayed(events: { messageIds: string[] }[]): number {
  return events.reduce((sum, event) => sum + event.messageIds.length, 0)
}

function answerBatch(trigger: TriggerKind, outcomes: Settled[]): unknown {
  const results = outcomes.map((outcome) =>
    outcome.ok ? outcome.result : { error: outcome.error.toBody(), status: outcome.error.status },
  )
  const failures = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.error]))
  if (trigger !== 'http') {
    const retryable = outcomes.flatMap((outcome, index) =>
      !outcome.ok && outcome.error.retryable ? [index] : [],
    )
    if (retryable.length > 0)
      throw new RetryableFailuresError(`messages ${retryable.join(', ')} of the batch`)
    return { results }
  }
  const first = failures[0]
  if (first === undefined) return jsonResponse(200, { results })
  if (failures.length < outcomes.length) return jsonResponse(207, { results })
  // All failed: the status, and headers such as Retry-After, the first failure would get alone.
  return jsonResponse(first.status, { results }, first.headers)
}

// A failure names its first events; each event's own line, logged before, names every one.
const MAX_NAMED_EVENTS = 20

function namedFew(names: string[]): string {
  if (names.length <= MAX_NAMED_EVENTS) return names.join(', ')
  return `${names.slice(0, MAX_NAMED_EVENTS).join(', ')} and ${names.length - MAX_NAMED_EVENTS} more`
}
