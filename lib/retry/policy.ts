/**
 * When and how long to wait before calling `Pub` again: which failures are worth another attempt,
 * and exponential backoff with full jitter (a random delay between 0 and the exponential ceiling).
 */
import { ThrottledError, UpstreamTimeoutError, UpstreamUnavailableError } from '../errors.js'

/** Why a call may be repeated: IoT's quota said no, or IoT or the network failed transiently. */
export type RetryKind = 'throttle' | 'transient'

/** Backoff settings. */
export interface BackoffOptions {
  /** First ceiling after a throttle; the quota refills per second. @default 1000 */
  throttleBaseMs: number
  /** First ceiling after a transient fault. @default 50 */
  transientBaseMs: number
  /** Largest delay. @default 20000 */
  capMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { throttleBaseMs: 1_000, transientBaseMs: 50, capMs: 20_000 }

/**
 * Whether a failed call may be repeated, and why. Refusals of the message or of the gateway's setup
 * never are; neither is the gateway's own rate limiter saying no (waiting longer would not help).
 */
export function retryKindOf(error: unknown): RetryKind | undefined {
  if (error instanceof ThrottledError) return error.iotCode === undefined ? undefined : 'throttle'
  if (error instanceof UpstreamUnavailableError || error instanceof UpstreamTimeoutError) return 'transient'
  return undefined
}

/**
 * The delay before the next attempt: full jitter, lengthened to IoT's Retry-After when it asks for
 * more. Retry-After never shortens the backoff (`0`, a past date) nor goes past the cap, and a value
 * that is not a finite number of milliseconds is ignored.
 * @param failures - how many calls have failed so far (1 after the first)
 * @param random - a source of numbers in [0, 1)
 * @example retryDelay('throttle', 2, undefined, Math.random) // somewhere in [0, 2000)
 */
export function retryDelay(
  kind: RetryKind,
  failures: number,
  retryAfterMs: number | undefined,
  random: () => number,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const base = kind === 'throttle' ? options.throttleBaseMs : options.transientBaseMs
  const ceiling = Math.min(options.capMs, base * 2 ** (failures - 1))
  const backoff = Math.floor(random() * ceiling)
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return backoff
  return Math.min(options.capMs, Math.max(backoff, Math.ceil(retryAfterMs)))
}
