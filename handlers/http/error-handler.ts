/**
 * @module handlers/http/error-handler
 * The one place HTTP errors are shaped: a DetectError becomes ERROR_STATUS[code] with
 * `{error: {code, message}}` (plus Retry-After / WWW-Authenticate when they apply); anything
 * else is a bug, logged with its stack, and the caller sees a bare 500 "Internal Server Error".
 * Every error response is logged with the request id, one line: warn for 4xx and for the
 * 503s that overload and start-up produce on purpose (QUEUE_FULL, NOT_READY: hundreds of stack
 * traces in an overload would bury real faults), error for other 5xx. A request whose
 * connection ended first (client gone, or cut by Node's receive timeout) is reported as such
 * (CANCELLED 499 / REQUEST_TIMEOUT 408, info level) whatever error the handler saw: reading
 * the body of a closed connection fails, and that is not a bug.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DetectError, isDetectError, toDetectError } from '../../core/errors/index.js';
import type { Logger } from '../../infra/log/index.js';
import { connectionEnded } from './node-connection.js';
import type { AppEnv } from './types.js';

export const AUTH_CHALLENGE = 'Bearer realm="detectfn"';

/** The body an error gets: ours everywhere, the Open Inference Protocol's under /v2. */
export type ErrorBody = (err: DetectError) => unknown;
export const detectfnErrorBody: ErrorBody = (err) => ({ error: err.toJSON() });
export const kserveErrorBody: ErrorBody = (err) => ({ error: err.message });
/** 5xx codes that are expected behaviour (shedding load, still warming), not faults. */
export const EXPECTED_5XX: ReadonlySet<string> = new Set(['QUEUE_FULL', 'NOT_READY']);
const bodyForPath = (path: string): ErrorBody => (path === '/v2' || path.startsWith('/v2/') ? kserveErrorBody : detectfnErrorBody);

/** Hono's own HTTPExceptions (malformed bodies and the like) keep their 4xx meaning. */
function fromHttpException(err: HTTPException): DetectError {
  if (err.status === 413) return new DetectError('PAYLOAD_TOO_LARGE', 'request body is too large', { cause: err });
  if (err.status === 401) return new DetectError('UNAUTHORIZED', 'missing or invalid bearer token', { cause: err });
  if (err.status >= 400 && err.status < 500) return new DetectError('INVALID_ARGUMENT', err.message || 'bad request', { cause: err });
  return toDetectError(err);
}

export function errorResponse(c: Context<AppEnv>, raw: unknown, logger: Logger, body: ErrorBody = bodyForPath(c.req.path)): Response {
  const ended = connectionEnded(c);
  const err = ended ?? (raw instanceof HTTPException ? fromHttpException(raw) : toDetectError(raw));
  const reqId = c.get('requestId');
  const line = { reqId, method: c.req.method, path: c.req.path, status: err.status, code: err.code };
  if (ended) {
    logger.info({ ...line, seen: raw instanceof Error ? raw.message : String(raw) }, err.message);
  } else if (!isDetectError(raw) && err.code === 'INTERNAL') {
    logger.error({ ...line, err: raw }, 'unhandled error');
  } else if (err.status >= 500 && !EXPECTED_5XX.has(err.code)) {
    logger.error({ ...line, err }, err.message);
  } else {
    logger.warn({ ...line, details: err.details }, err.message);
  }
  if (err.retryAfterS !== undefined) c.header('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterS))));
  if (err.code === 'UNAUTHORIZED') c.header('WWW-Authenticate', AUTH_CHALLENGE);
  return c.json(body(err), err.status as ContentfulStatusCode);
}

export function onError(logger: Logger): ErrorHandler<AppEnv> {
  return (err, c) => errorResponse(c, err, logger);
}

export function notFound(logger: Logger): NotFoundHandler<AppEnv> {
  return (c) => errorResponse(c, new DetectError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), logger);
}
