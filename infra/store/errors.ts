/**
 * @module infra/store/errors
 * Which failures are worth a retry, and the typed errors callers see: NOT_FOUND (missing object
 * or file), INTEGRITY_ERROR (sha256 or length differs), STORE_ERROR (anything else, after retries).
 */
import { DetectError, isDetectError } from '../../core/errors/index.js';

const TRANSIENT_NAMES = new Set([
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'Throttling', 'ThrottlingException',
  'SlowDown', 'TooManyRequestsException', 'RequestLimitExceeded', 'InternalError', 'ServiceUnavailable',
  // The object changed between HEAD and GET (If-Match): HEAD again.
  'PreconditionFailed',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET']);

interface AwsLike {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

export function httpStatusOf(err: unknown): number | undefined {
  return (err as AwsLike | undefined)?.$metadata?.httpStatusCode;
}

/** 5xx, 429, throttling, timeouts, connection resets and truncated transfers; never 403/404. */
export function isTransient(err: unknown): boolean {
  if (isDetectError(err)) return err.code === 'INTEGRITY_ERROR' && err.details?.truncated === true;
  const e = err as AwsLike | undefined;
  if (!e || typeof e !== 'object') return false;
  const status = httpStatusOf(err);
  if (status !== undefined && (status >= 500 || status === 429 || status === 412)) return true;
  if (status !== undefined && status >= 400) return false;
  if ((e.name && TRANSIENT_NAMES.has(e.name)) || (e.code && TRANSIENT_CODES.has(e.code))) return true;
  return e.cause !== undefined && e.cause !== err && isTransient(e.cause);
}

export function isNotFound(err: unknown): boolean {
  const name = (err as AwsLike | undefined)?.name;
  return httpStatusOf(err) === 404 || name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound';
}

export function notFoundError(uri: string, cause?: unknown): DetectError {
  return new DetectError('NOT_FOUND', `model ${uri} not found`, { cause, details: { uri } });
}

export function shaMismatchError(uri: string, expected: string, actual: string): DetectError {
  return new DetectError('INTEGRITY_ERROR', `model ${uri}: sha256 ${actual} does not match the expected ${expected}`, {
    details: { uri, expected, actual },
  });
}

export function truncatedError(uri: string, expected: number, received: number, cause?: unknown): DetectError {
  return new DetectError('INTEGRITY_ERROR', `model ${uri}: received ${received} of ${expected} bytes (truncated transfer)`, {
    cause,
    details: { uri, expected, received, truncated: true },
  });
}

/** The error a caller sees once retries are spent: typed errors pass, the rest is STORE_ERROR. */
export function finalError(uri: string, err: unknown, attempts: number): DetectError {
  if (isDetectError(err)) return err;
  if (isNotFound(err)) return notFoundError(uri, err);
  const status = httpStatusOf(err);
  const what = status ? `HTTP ${status} ${(err as AwsLike).name ?? ''}`.trim() : String((err as Error)?.message ?? err);
  const tries = !isTransient(err) ? '(not retryable)' : attempts > 1 ? `after ${attempts} attempt(s)` : '(transient)';
  return new DetectError('STORE_ERROR', `model ${uri}: fetch failed ${tries}: ${what}`, {
    cause: err,
    details: { uri, status },
  });
}
