/**
 * Middleware that decodes FC's raw event into an `Inbound` and turns the handler's outcome into the
 * answer the trigger expects. This is the one place where errors become answers.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import { answerError, answerOutcome } from '../answers.js'
import { type GatewayError, InvocationFailedError, toGatewayError } from '../errors.js'
import type { FcContext } from '../fc/types.js'
import { wasReplayed } from '../idempotency/publish-once.js'
import { describeError, type Logger } from '../log.js'
import type { RelayOutcome } from '../relay.js'
import { type Inbound, recognizeInbound, type TriggerKind } from '../triggers/inbound.js'

/** Options of `fcTrigger`. */
export interface FcTriggerOptions {
  logger: Logger
}

// The moment the invocation began is kept on middy's request object, which lives as long as the invocation.
type TriggerRequest = Request<Inbound, unknown, Error, FcContext> & { startedAt?: number }

/**
 * Decodes the event before the handler and renders its outcome or error after it.
 * @example middy().use(fcTrigger({ logger })).handler(relay)
 */
export function fcTrigger({ logger }: FcTriggerOptions): MiddlewareObj<Inbound, unknown, Error, FcContext> {
  const fcTriggerBefore = (request: TriggerRequest) => {
    request.startedAt = performance.now()
    const { accountId, region } = request.context
    request.event = recognizeInbound(request.event, { accountId, region })
  }

  const fcTriggerAfter = (request: TriggerRequest) => {
    const outcome = request.response as RelayOutcome
    const { requestId } = request.context
    for (const event of outcome.form === 'events' ? outcome.events : []) {
      const where = { requestId, eventIndex: event.index, eventId: event.id }
      for (const error of event.dropped) logger.warn('dropped', { ...where, error })
      // These fail the invocation, whose own line names only the events: each reason is logged here.
      for (const error of event.retryable) logger.error('failed', { ...where, error })
    }
    if (outcome.form === 'batch' && request.event.kind !== 'http') {
      outcome.outcomes.forEach((settled, messageIndex) => {
        if (!settled.ok && settled.error.retryable)
          logger.error('failed', { requestId, messageIndex, error: settled.error.toBody() })
      })
    }
    // Rendering may throw RetryableFailuresError, which onError turns into a failed invocation.
    const answer = answerOutcome(request.event.kind, outcome)
    request.response = answer
    logger.info(
      'invocation',
      describeRelayed(request, outcome, (answer as { statusCode?: number }).statusCode),
    )
  }

  const fcTriggerOnError = (request: TriggerRequest) => {
    const error = toGatewayError(request.error)
    logFailure(logger, error, request.event.kind, summary(request))
    const answer = answerError(request.event.kind, error)
    // Leaving the response unset makes middy throw request.error as it is (a throw from here would
    // get the vendor-laden original attached).
    if ('fail' in answer) request.error = new InvocationFailedError(answer.fail)
    else request.response = answer.response
  }

  return { before: fcTriggerBefore, after: fcTriggerAfter, onError: fcTriggerOnError }
}

function summary(request: TriggerRequest) {
  return {
    requestId: request.context.requestId,
    trigger: request.event.kind,
    latencyMs: latencySince(request.startedAt),
  }
}

function latencySince(startedAt: number | undefined): number | undefined {
  return startedAt === undefined ? undefined : Math.round(performance.now() - startedAt)
}

// The invocation's log fields: counts and IoT's ids, for tracing a message from the caller to IoT. Built
// as one literal: merging partial objects on every invocation cost measurable time.
function describeRelayed(
  request: TriggerRequest,
  outcome: RelayOutcome,
  status: number | undefined,
): Record<string, unknown> {
  const results =
    outcome.form === 'single'
      ? [outcome.result]
      : outcome.form === 'batch'
        ? outcome.outcomes.flatMap((settled) => (settled.ok ? [settled.result] : []))
        : outcome.events.flatMap((event) => event.results)
  const messages =
    outcome.form === 'single'
      ? 1
      : outcome.form === 'batch'
        ? outcome.outcomes.length
        : outcome.events.reduce(
            (sum, event) => sum + event.results.length + event.dropped.length + event.retryable.length,
            0,
          )
  // Replayed messages were answered from idempotency records: they were not published now.
  const replayed = results.filter(wasReplayed).length
  return {
    requestId: request.context.requestId,
    trigger: request.event.kind,
    latencyMs: latencySince(request.startedAt),
    outcome: 'relayed',
    status,
    messages,
    published: results.length - replayed,
    replayed,
    messageIds: results.map((result) => result.messageId),
    iotRequestIds: results.map((result) => result.requestId),
  }
}

function logFailure(
  logger: Logger,
  error: GatewayError,
  trigger: TriggerKind,
  fields: Record<string, unknown>,
): void {
  const outcome = { ...fields, outcome: 'failed', status: error.status, error: error.toBody() }
  // A timer's messages are the operator's own configuration, which no caller sees refused: an error.
  if (error.status < 500 && trigger !== 'timer') logger.warn('invocation', outcome)
  else if (error.cause === undefined) logger.error('invocation', outcome)
  else logger.error('invocation', { ...outcome, cause: describeError(error.cause) })
}
