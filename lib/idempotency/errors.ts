/** The answers of idempotent publishing that no other concern gives: a key reused, in flight, or spent on an uncertain publish. */
import { GatewayError } from '../errors.js'

/** An idempotency key already used for a different message (IETF Idempotency-Key draft: 422). */
export class IdempotencyKeyReusedError extends GatewayError {
  override name = 'IdempotencyKeyReusedError'
  readonly status = 422

  constructor(what: string) {
    super(
      'IdempotencyKeyReused',
      `${what} was already used for a different message; nothing was sent. Use a new key for a new message`,
    )
  }
}

/**
 * The first request with this idempotency key is still being published (409). Retryable, so that an
 * event invocation fails and its source redelivers it once the first one has finished.
 */
export class IdempotencyKeyInProgressError extends GatewayError {
  override name = 'IdempotencyKeyInProgressError'
  readonly status = 409

  constructor(what: string, retryAfterMs: number) {
    super('IdempotencyKeyInProgress', `${what} is still being published by another request; retry later`)
    this.retryAfterMs = retryAfterMs
  }

  override get retryable(): boolean {
    return true
  }
}

/**
 * The first request with this idempotency key may or may not have been published (IoT did not answer in
 * time): the key is spent, so the same answer, 504, comes back without sending anything. Not retryable:
 * repeating the same key can never change it.
 */
export class PublishUncertainError extends GatewayError {
  override name = 'PublishUncertainError'
  readonly status = 504

  constructor(what: string) {
    super(
      'UpstreamTimeout',
      `${what}: its first request may have been published (IoT Platform did not answer in time), so it is not sent again under this key. Publish under a new key if it must go out`,
    )
  }

  override get retryable(): boolean {
    return false
  }
}
