/**
 * One invocation's idempotency: which of its messages carry keys, and a publisher that publishes each
 * keyed message at most once, across the fleet (Redis) or this instance (memory).
 */

import type { PubParameters } from '../iot/pub-parameters.js'
import type { Publisher } from '../iot/publisher.js'
import type { PublishRequest } from '../message/publish-request.js'
import type { CloudEvent } from '../triggers/eventbridge.js'
import type { Inbound } from '../triggers/inbound.js'
import { IdempotencyKeyReusedError } from './errors.js'
import {
  ACCOUNT_SCOPE,
  httpKeySources,
  type KeySources,
  type MessageIdentity,
  messageIdentities,
} from './keys.js'
import { type IdempotentResult, type PublishOnceOptions, publishOnce } from './publish-once.js'

/** A validated request and where it came from: the invocation, or one of its CloudEvents. */
export interface KeyedRequest {
  origin: Exclude<Inbound, { kind: 'eventbridge' }> | CloudEvent
  /** The JSON the request was read from, which holds the messages' own keys. */
  body: unknown
  request: PublishRequest
}

/** What the handler asks of idempotency; placed on the context by the `idempotency` middleware. */
export interface InvocationIdempotency {
  /**
   * A publisher for these requests' messages: keyed ones are published at most once, others pass.
   * @throws InvalidRequestError when a request's keys are malformed or conflict; nothing was sent
   */
  publisherFor(publisher: Publisher, requests: KeyedRequest[]): Publisher
}

/**
 * The invocation's idempotency over a store.
 * @example createInvocationIdempotency({ store, recordTtlMs, invocationEnd, logger, requestId })
 */
export function createInvocationIdempotency(
  options: PublishOnceOptions & { scopeByApiKey: boolean },
): InvocationIdempotency {
  return {
    publisherFor(publisher, requests) {
      const identities = new Map<PubParameters, MessageIdentity>()
      for (const { origin, body, request } of requests) {
        const sources = keySources(origin, options.scopeByApiKey)
        messageIdentities(sources, body, request).forEach((identity, index) => {
          const parameters = request.parameters[index]
          if (identity !== undefined && parameters !== undefined) identities.set(parameters, identity)
        })
      }
      return identities.size === 0 ? publisher : keyedPublisher(publisher, identities, options)
    },
  }
}

function keySources(origin: KeyedRequest['origin'], scopeByApiKey: boolean): KeySources {
  if ('kind' in origin)
    return origin.kind === 'http' ? httpKeySources(origin.event, scopeByApiKey) : { scope: ACCOUNT_SCOPE }
  return { scope: ACCOUNT_SCOPE, event: { source: origin.source, id: origin.id } }
}

// The same key twice in one invocation (a batch, or a redelivered event beside its first copy) is
// published once: later copies wait for the first and answer as its replay.
function keyedPublisher(
  inner: Publisher,
  identities: Map<PubParameters, MessageIdentity>,
  options: PublishOnceOptions,
): Publisher {
  const firsts = new Map<string, { fingerprint: string; outcome: Promise<IdempotentResult> }>()
  return {
    async publish(parameters, call) {
      const identity = identities.get(parameters)
      if (identity === undefined) return inner.publish(parameters, call)
      const first = firsts.get(identity.storageKey)
      if (first !== undefined) {
        if (first.fingerprint !== identity.fingerprint) throw new IdempotencyKeyReusedError(identity.label)
        return { ...(await first.outcome), idempotency: 'replayed' }
      }
      const outcome = publishOnce(identity, () => inner.publish(parameters, call), options)
      firsts.set(identity.storageKey, { fingerprint: identity.fingerprint, outcome })
      return outcome
    },
  }
}
