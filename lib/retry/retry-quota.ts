/**
 * A per-instance budget of retries, after the AWS SDK's standard retry mode: every retry spends
 * tokens and every success earns one back, so a sustained outage stops multiplying load on IoT.
 */
import type { RetryKind } from './policy.js'

/** Retry budget settings. */
export interface RetryQuotaOptions {
  /** Tokens when full. @default 500 */
  capacity: number
  /** Tokens a retry after a throttle costs. @default 5 */
  throttleCost: number
  /** Tokens a retry after a transient fault costs. @default 14 */
  transientCost: number
  /** Tokens a successful call earns back. @default 1 */
  successRefund: number
}

export const DEFAULT_RETRY_QUOTA: RetryQuotaOptions = {
  capacity: 500,
  throttleCost: 5,
  transientCost: 14,
  successRefund: 1,
}

/** The retry budget one function instance shares across its invocations. */
export class RetryQuota {
  readonly #options: RetryQuotaOptions
  #tokens: number

  constructor(options: Partial<RetryQuotaOptions> = {}) {
    this.#options = { ...DEFAULT_RETRY_QUOTA, ...options }
    this.#tokens = this.#options.capacity
  }

  /** Tokens left. */
  get available(): number {
    return this.#tokens
  }

  /** Spends the cost of one retry; false, spending nothing, when the budget cannot cover it. */
  tryAcquire(kind: RetryKind): boolean {
    const cost = kind === 'throttle' ? this.#options.throttleCost : this.#options.transientCost
    if (this.#tokens < cost) return false
    this.#tokens -= cost
    return true
  }

  /** A call succeeded: earn a token back, up to the capacity. */
  recordSuccess(): void {
    this.#tokens = Math.min(this.#options.capacity, this.#tokens + this.#options.successRefund)
  }
}
