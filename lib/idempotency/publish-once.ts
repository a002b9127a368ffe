/**
 * The semantics of one keyed publish (IETF `Idempotency-Key` draft, Powertools' idempotency utility):
 * claim the key, publish, record the answer; or answer from the record without publishing.
 */
import { randomUUID } from 'node:crypto'
import { GatewayError, InternalError, MessageRejectedError, UpstreamTimeoutError } from '../errors.js'
import type { PublishResult } from '../iot/publisher.js'
import { describeError, type Logger } from '../log.js'
import { IdempotencyKeyInProgressError, IdempotencyKeyReusedError, PublishUncertainError } from './errors.js'
import type { MessageIdentity } from './keys.js'
import type { IdempotencyRecord, IdempotencyStore } from './store.js'

/**
 * What the key did for this message, as the answer tells it:
 * `stored` — published and recorded where the whole fleet sees it;
 * `replayed` — published before under this key: nothing was sent, this is the first answer;
 * `instance` — published and recorded in this instance's memory only (no `REDIS_URL`): best effort;
 * `unavailable` — published, but the store could not be reached: no protection against a repeat.
 */
export type IdempotencyStatus = 'stored' | 'replayed' | 'instance' | 'unavailable'

/** A publish result with what the idempotency key did. */
export interface IdempotentResult extends PublishResult {
  idempotency: IdempotencyStatus
}

/** What a keyed publish needs besides the message. */
export interface PublishOnceOptions {
  store: IdempotencyStore
  /** How long a settled record lives (`IDEMPOTENCY_TTL_S`). */
  recordTtlMs: number
  /** Epoch milliseconds at which FC ends the invocation: a claim lasts until then, so a killed instance blocks nothing. */
  invocationEnd: number
  logger: Logger
  requestId: string
  now?: () => number
  newToken?: () => string
}

// A 409 asks for a quick retry: the first request usually finishes well before its claim would expire.
const IN_PROGRESS_RETRY_MS = 1_000

/**
 * Publishes a keyed message at most once per key and fingerprint.
 * @throws IdempotencyKeyReusedError when the key stands for a different message
 * @throws IdempotencyKeyInProgressError when the key's first request is still publishing
 * @throws PublishUncertainError when the key's first request may or may not have been published
 * @example await publishOnce(identity, () => publisher.publish(parameters), options)
 */
export async function publishOnce(
  identity: MessageIdentity,
  publish: () => Promise<PublishResult>,
  options: PublishOnceOptions,
): Promise<IdempotentResult> {
  const { store, logger, requestId } = options
  const now = options.now ?? Date.now
  const token = (options.newToken ?? randomUUID)()
  let held: IdempotencyRecord | undefined
  try {
    held = await store.claim(identity.storageKey, {
      fingerprint: identity.fingerprint,
      token,
      ttlMs: Math.max(1, options.invocationEnd - now()),
    })
  } catch {
    // The store's outage is logged once by its connection; the message goes out without the guarantee.
    return { ...(await publish()), idempotency: 'unavailable' }
  }
  if (held !== undefined) return replay(identity, held)

  let result: PublishResult
  try {
    result = await publish()
  } catch (error) {
    await settleFailure(identity, token, error, options)
    throw error
  }
  const record = { state: 'published', fingerprint: identity.fingerprint, result } as const
  try {
    if (await store.settle(identity.storageKey, token, record, options.recordTtlMs))
      return { ...result, idempotency: store.shared ? 'stored' : 'instance' }
    logger.warn('idempotency claim expired', { requestId, key: identity.label, messageId: result.messageId })
  } catch (error) {
    logger.warn('idempotency record not written', {
      requestId,
      key: identity.label,
      cause: describeError(error),
    })
  }
  return { ...result, idempotency: 'unavailable' }
}

/** Whether a result was answered from an idempotency record, without publishing. */
export function wasReplayed(result: PublishResult): boolean {
  return (result as Partial<IdempotentResult>).idempotency === 'replayed'
}

/**
 * Whether a failed publish may still have reached IoT: a call that reached it got no answer (the retry
 * layer marks the error `mayHavePublished` and answers 504), or something unexpected happened. Any
 * other failure is IoT's or the gateway's refusal, or a call that never reached IoT: nothing was sent.
 */
export function mayHaveBeenPublished(error: unknown): boolean {
  if (!(error instanceof GatewayError)) return true
  // IoT refused the message itself (no such device, a bad topic): no earlier call of it published it.
  if (error instanceof MessageRejectedError) return false
  return (
    error.mayHavePublished === true || error instanceof UpstreamTimeoutError || error instanceof InternalError
  )
}

function replay(identity: MessageIdentity, held: IdempotencyRecord): IdempotentResult {
  if (held.fingerprint !== identity.fingerprint) throw new IdempotencyKeyReusedError(identity.label)
  switch (held.state) {
    case 'in-progress':
      throw new IdempotencyKeyInProgressError(
        identity.label,
        Math.min(held.expiresInMs, IN_PROGRESS_RETRY_MS),
      )
    case 'uncertain':
      throw new PublishUncertainError(identity.label)
    case 'published':
      return { ...held.result, idempotency: 'replayed' }
  }
}

// Nothing sent: the key is freed for a retry. Maybe sent: the key is spent, so no retry can send it twice.
async function settleFailure(
  identity: MessageIdentity,
  token: string,
  error: unknown,
  options: PublishOnceOptions,
) {
  const { store, logger, requestId } = options
  try {
    if (mayHaveBeenPublished(error)) {
      const record = { state: 'uncertain', fingerprint: identity.fingerprint } as const
      await store.settle(identity.storageKey, token, record, options.recordTtlMs)
    } else {
      await store.release(identity.storageKey, token)
    }
  } catch (storeError) {
    // The claim then lapses at the invocation's end, which frees the key as a release would.
    logger.warn('idempotency record not written', {
      requestId,
      key: identity.label,
      cause: describeError(storeError),
    })
  }
}
