/**
 * @module infra/store/backoff
 * Retries with exponential backoff and full jitter ("Exponential Backoff And Jitter", AWS
 * architecture blog): delay = random * min(max, base * 2^retry). Full jitter spreads a fleet of
 * cold-starting functions that all hit a throttled bucket at once.
 */
import type { RetryPolicy, StoreLogger } from './types.js';

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({ attempts: 4, baseDelayMs: 200, maxDelayMs: 5000 });

/** Delay before retry number `retry` (0 = the first retry). */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * cap);
}

export interface RetryDeps {
  readonly policy: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly isTransient: (err: unknown) => boolean;
  readonly logger: StoreLogger;
  /** Context for the log lines (uri). */
  readonly context: Record<string, unknown>;
  /** Told before each backoff wait, so a caller can show the retry (readiness reason). */
  readonly onRetry?: (retry: { attempt: number; attempts: number; delayMs: number; err: unknown }) => void;
}

/**
 * Runs `fn` until it succeeds, fails with a permanent error, or runs out of attempts.
 * Rejects with the last error; the caller decides how to wrap it.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, deps: RetryDeps): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= deps.policy.attempts || !deps.isTransient(err)) throw err;
      const delayMs = backoffDelay(attempt - 1, deps.policy, deps.random);
      deps.logger.warn({ ...deps.context, attempt, delayMs, err: String(err) }, 'transient error, retrying');
      deps.onRetry?.({ attempt, attempts: deps.policy.attempts, delayMs, err });
      await deps.sleep(delayMs);
    }
  }
}
