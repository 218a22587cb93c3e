/**
 * @module core/errors
 * One error type for everything detectfn reports to a caller, and the argument checks that
 * raise it.
 *
 * Each DetectError has a stable `code` (clients switch on it) and the HTTP `status` it maps to
 * (Hono's HTTPException carries a status the same way). The mappings live here, one table per
 * protocol (ERROR_STATUS for HTTP, GRPC_STATUS for the KServe gRPC listener), so handlers never
 * choose statuses themselves. Anything that is not a DetectError is a bug and becomes a logged,
 * generic 500: its message never leaks.
 *
 * The checks (after sharp's is.mjs) give every refusal one message shape, "Expected positive
 * integer for width but received 1.5 of type number", as INVALID_ARGUMENT. Input is checked
 * once, where it enters (a request's options, a manifest at load, a feed at the engine boundary);
 * everything behind that point trusts its arguments and runs no check of its own.
 */

// Error codes and the status each answers with.

export const ERROR_STATUS = {
  INVALID_ARGUMENT: 400,
  EMPTY_BODY: 400,
  /** A detect call on a classifier or a classify call on a detector; the message names the route to use. */
  WRONG_TASK: 400,
  UNAUTHORIZED: 401,
  BUCKET_NOT_ALLOWED: 403,
  MODEL_NOT_FOUND: 404,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  IMAGE_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNDECODABLE_IMAGE: 415,
  QUEUE_FULL: 503,
  NOT_READY: 503,
  /** The model is loaded but no engine worker is alive or starting; Retry-After = next restart attempt. */
  ENGINE_UNAVAILABLE: 503,
  CANCELLED: 499,
  REQUEST_TIMEOUT: 408,
  DEADLINE_EXCEEDED: 504,
  MODEL_INVALID: 500,
  MODEL_MISMATCH: 500,
  INTEGRITY_ERROR: 500,
  STORE_ERROR: 502,
  ENGINE_ERROR: 500,
  WORKER_CRASHED: 500,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The gRPC status each code answers with over the KServe v2 gRPC listener (numbers from
 * grpc's status codes: core stays free of @grpc imports). Same meaning as ERROR_STATUS, one
 * row per code, so a new code must be placed in both tables.
 */
export const GRPC_STATUS = {
  INVALID_ARGUMENT: 3, // INVALID_ARGUMENT
  EMPTY_BODY: 3,
  WRONG_TASK: 3,
  UNAUTHORIZED: 16, // UNAUTHENTICATED
  BUCKET_NOT_ALLOWED: 7, // PERMISSION_DENIED
  MODEL_NOT_FOUND: 5, // NOT_FOUND
  NOT_FOUND: 5,
  PAYLOAD_TOO_LARGE: 8, // RESOURCE_EXHAUSTED
  IMAGE_TOO_LARGE: 8,
  UNSUPPORTED_MEDIA_TYPE: 3,
  UNDECODABLE_IMAGE: 3,
  QUEUE_FULL: 14, // UNAVAILABLE: retryable, as gRPC clients treat it
  NOT_READY: 14,
  ENGINE_UNAVAILABLE: 14,
  CANCELLED: 1, // CANCELLED
  REQUEST_TIMEOUT: 4, // DEADLINE_EXCEEDED
  DEADLINE_EXCEEDED: 4,
  MODEL_INVALID: 13, // INTERNAL
  MODEL_MISMATCH: 13,
  INTEGRITY_ERROR: 13,
  STORE_ERROR: 14,
  ENGINE_ERROR: 13,
  WORKER_CRASHED: 13,
  CONFIG_INVALID: 13,
  INTERNAL: 13,
} as const satisfies Record<ErrorCode, number>;

// The error type.

export interface DetectErrorOptions {
  cause?: unknown;
  /** Seconds a client should wait before retrying (QUEUE_FULL, NOT_READY, ENGINE_UNAVAILABLE). */
  retryAfterS?: number;
  /** Extra machine-readable context (field name, limits); never request bodies. */
  details?: Record<string, unknown>;
}

export class DetectError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterS: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: DetectErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DetectError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfterS = options.retryAfterS;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isDetectError(err: unknown): err is DetectError {
  return err instanceof DetectError;
}

/** The error a caller sees for anything that is not a DetectError: a bug, never its message. */
export function toDetectError(err: unknown): DetectError {
  if (isDetectError(err)) return err;
  return new DetectError('INTERNAL', 'Internal Server Error', { cause: err });
}

// Argument checks.

/** A value as a refusal shows it: strings JSON-quoted, cut to 60 characters, then its type. */
export function describe(value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${shown.length > 60 ? shown.slice(0, 57) + '...' : shown} of type ${typeof value}`;
}

export function invalidParameterError(name: string, expected: string, actual: unknown): DetectError {
  return new DetectError('INVALID_ARGUMENT', `Expected ${expected} for ${name} but received ${describe(actual)}`, {
    details: { field: name },
  });
}

export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isInteger = (v: unknown): v is number => Number.isInteger(v);
export const inRange = (v: number, min: number, max: number): boolean => v >= min && v <= max;

export function expectInteger(name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (!isInteger(v) || !inRange(v, min, max)) {
    throw invalidParameterError(name, `integer between ${min} and ${max}`, v);
  }
  return v;
}

export function expectNumber(name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (!isNumber(v) || !inRange(v, min, max)) {
    throw invalidParameterError(name, `number between ${min} and ${max}`, v);
  }
  return v;
}

export function expectOneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw invalidParameterError(name, `one of ${allowed.join(', ')}`, v);
  }
  return v as T;
}
