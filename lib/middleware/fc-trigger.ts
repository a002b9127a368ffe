/**
 * Middleware that decodes FC's raw event into an `Inbound` and turns the handler's outcome into the
 * answer the trigger expects. This is the one place where errors become answers.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import { type GatewayError, InvocationFailedError, toGatewayError } from '../errors.js'
import type { FcContext } from '../fc/types.js'
import { describeError, type Logger } from '../log.js'
import { jsonResponse } from '../triggers/http.js'
import { type Inbound, recognizeInbound } from '../triggers/inbound.js'

/** Options of `fcTrigger`. */
export interface FcTriggerOptions {
  logger: Logger
}

type TriggerRequest = Request<Inbound, unknown, Error, FcContext>

/**
 * Decodes the event before the handler and renders its result or error after it.
 * @example middy().use(fcTrigger({ logger })).handler(relayMessage)
 */
export function fcTrigger({ logger }: FcTriggerOptions): MiddlewareObj<Inbound, unknown, Error, FcContext> {
  const startedAt = new WeakMap<object, number>()

  const fcTriggerBefore = (request: TriggerRequest) => {
    startedAt.set(request, performance.now())
    request.event = recognizeInbound(request.event)
  }

  const fcTriggerAfter = (request: TriggerRequest) => {
    const result = request.response
    logger.info('invocation', { ...summary(request), outcome: 'published', status: 200, result })
    request.response = request.event.kind === 'http' ? jsonResponse(200, result) : result
  }

  const fcTriggerOnError = (request: TriggerRequest) => {
    const error = toGatewayError(request.error)
    logFailure(logger, error, summary(request))
    if (request.event.kind === 'http') {
      request.response = jsonResponse(error.status, { error: error.toBody() }, error.headers)
      return
    }
    // FC's retry policy applies only when the invocation fails. Leaving the response unset makes middy
    // throw request.error as it is (a throw from here would get the vendor-laden original attached).
    if (error.retryable) request.error = new InvocationFailedError(error)
    else request.response = { error: error.toBody() }
  }

  const summary = (request: TriggerRequest) => {
    const started = startedAt.get(request)
    return {
      requestId: request.context.requestId,
      trigger: request.event.kind,
      latencyMs: started === undefined ? undefined : Math.round(performance.now() - started),
    }
  }

  return { before: fcTriggerBefore, after: fcTriggerAfter, onError: fcTriggerOnError }
}

function logFailure(logger: Logger, error: GatewayError, fields: Record<string, unknown>): void {
  const outcome = { ...fields, outcome: 'failed', status: error.status, error: error.toBody() }
  if (error.status < 500) logger.warn('invocation', outcome)
  else if (error.cause === undefined) logger.error('invocation', outcome)
  else logger.error('invocation', { ...outcome, cause: describeError(error.cause) })
}
