/**
 * @module infra/events/retry
 * infra/store's withRetries for the processor's S3 operations, remembering how many attempts
 * the last operation took (error records report it).
 */
import { isDetectError } from '../../core/errors/index.js';
import { DEFAULT_RETRY_POLICY, isTransient, withRetries, type RetryPolicy, type StoreLogger } from '../store/index.js';

export interface Retrier {
  <T>(op: string, context: Record<string, unknown>, fn: () => Promise<T>): Promise<T>;
}

/** The error after retries, carrying the attempt count. */
export class AttemptsError extends Error {
  constructor(override readonly cause: unknown, readonly attempts: number, readonly op: string) {
    super(String((cause as Error)?.message ?? cause));
  }
}

/** Our own typed errors are final (NOT_FOUND, PAYLOAD_TOO_LARGE); SDK/network errors may be transient. */
const transient = (err: unknown) => (isDetectError(err) ? err.code === 'QUEUE_FULL' : isTransient(err));

export function createRetrier(policy: RetryPolicy = DEFAULT_RETRY_POLICY, logger: StoreLogger, sleep: (ms: number) => Promise<void>): Retrier {
  return async (op, context, fn) => {
    let attempts = 0;
    try {
      return await withRetries(
        () => {
          attempts += 1;
          return fn();
        },
        { policy, sleep, random: Math.random, isTransient: transient, logger, context: { ...context, op } },
      );
    } catch (err) {
      throw new AttemptsError(err, attempts, op);
    }
  };
}

/** Code and message for an error record: DetectErrors keep theirs; S3/network errors are STORE_ERROR. */
export function describeFailure(err: unknown): { code: string; message: string; attempts: number } {
  const wrapped = err instanceof AttemptsError ? err : undefined;
  const inner = wrapped ? wrapped.cause : err;
  const attempts = wrapped?.attempts ?? 1;
  if (isDetectError(inner)) return { code: inner.code, message: inner.message, attempts };
  const e = inner as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  const what = [status && `HTTP ${status}`, e?.name, e?.message].filter(Boolean).join(' ') || String(inner);
  const code = wrapped && wrapped.op !== 'model' ? 'STORE_ERROR' : 'INTERNAL';
  return { code, message: `${wrapped?.op ?? 'processing'} failed after ${attempts} attempt(s): ${what}`, attempts };
}
