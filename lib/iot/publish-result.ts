/**
 * What IoT answered for a delivered message, in a module of its own that needs nothing of Node, so that
 * the typed client's declarations stand alone for callers without `@types/node`.
 */

/** What IoT answered for a delivered message. */
export interface PublishResult {
  /** IoT's MessageId, every digit kept (it exceeds 2^53). */
  messageId: string
  /** IoT's RequestId, for support tickets. */
  requestId: string
}
