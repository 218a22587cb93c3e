/**
 * @module infra/runtime/load-retries
 * Bounded retries of one model's cold start, with infra/store's backoff (full jitter).
 * Transient failures (store unreachable, 5xx, throttling, timeouts, a truncated transfer) are
 * retried; permanent ones (manifest invalid, model/manifest mismatch, sha256 mismatch, file not
 * found) fail at once: retrying cannot fix them. While it waits, readiness shows why
 * ("attempt 2/4 failed: <error>; next in 2 s"); at the end the error names the model.
 */
import { DetectError, isDetectError } from '../../core/errors/index.js';
import type { Logger } from '../log/index.js';
import { isTransient, withRetries, type RetryPolicy } from '../store/index.js';

/** Registry default: 4 tries over about 7 s at most (waits up to 1, 2, 4 s). */
export const DEFAULT_LOAD_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({ attempts: 4, baseDelayMs: 1000, maxDelayMs: 15_000 });

export function isRetryableLoadError(err: unknown): boolean {
  // The store wraps what it gave up on as STORE_ERROR, keeping the network/SDK error as cause.
  if (isDetectError(err) && err.code === 'STORE_ERROR') return isTransient(err.cause);
  return isTransient(err);
}

export interface LoadRetryDeps {
  readonly policy: RetryPolicy;
  readonly logger: Logger;
  /** Aborted on close(): a backoff wait ends at once. */
  readonly signal: AbortSignal;
  /** The readiness reason while waiting for the next attempt. */
  readonly onRetry: (reason: string) => void;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** Runs `load` until it succeeds, fails permanently or runs out of attempts; the error names the model. */
export async function loadWithRetries<T>(model: string, load: () => Promise<T>, deps: LoadRetryDeps): Promise<T> {
  let attempts = 0;
  try {
    return await withRetries(
      (attempt) => {
        attempts = attempt;
        return load();
      },
      {
        policy: deps.policy,
        sleep: (ms) => abortableSleep(ms, deps.signal),
        random: deps.random ?? Math.random,
        isTransient: isRetryableLoadError,
        logger: deps.logger,
        context: { model },
        onRetry: (r) => deps.onRetry(`attempt ${r.attempt}/${r.attempts} failed: ${messageOf(r.err)}; next in ${waitText(r.delayMs)}`),
      },
    );
  } catch (err) {
    throw loadFailedError(model, err, attempts);
  }
}

/** The same code (so callers still switch on it), a message that names the model and the tries. */
function loadFailedError(model: string, err: unknown, attempts: number): DetectError {
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new DetectError(isDetectError(err) ? err.code : 'INTERNAL', `model ${model} failed to load${tries}: ${messageOf(err)}`, {
    cause: err,
    details: { ...(isDetectError(err) ? err.details : {}), model, attempts },
  });
}

const waitText = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${+(ms / 1000).toFixed(1)} s`);

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
