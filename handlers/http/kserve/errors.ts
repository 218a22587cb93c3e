/**
 * @module handlers/http/kserve/errors
 * Errors in the protocol's shape, `{"error": "<message>"}`, with the status from
 * ERROR_STATUS (via DetectError). Logging and the generic 500 for unknown errors follow the
 * shared error handler, so only the body shape differs from the rest of the API.
 */
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DetectError, isDetectError, toDetectError } from '../../../core/errors/index.js';
import type { Logger } from '../../../infra/log/index.js';
import type { AppEnv } from '../types.js';

function normalize(raw: unknown): DetectError {
  if (raw instanceof HTTPException && raw.status >= 400 && raw.status < 500) {
    const code = raw.status === 413 ? 'PAYLOAD_TOO_LARGE' : raw.status === 401 ? 'UNAUTHORIZED' : 'INVALID_ARGUMENT';
    return new DetectError(code, raw.message || 'bad request', { cause: raw });
  }
  return toDetectError(raw);
}

export function kserveErrorResponse(c: Context<AppEnv>, raw: unknown, logger: Logger): Response {
  const err = normalize(raw);
  const line = { reqId: c.get('requestId'), method: c.req.method, path: c.req.path, status: err.status, code: err.code };
  if (err.code === 'INTERNAL' && !isDetectError(raw)) logger.error({ ...line, err: raw }, 'unhandled error');
  else if (err.status >= 500) logger.error({ ...line, err }, err.message);
  else logger.warn({ ...line, details: err.details }, err.message);
  if (err.retryAfterS !== undefined) c.header('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterS))));
  return c.json({ error: err.message }, err.status as ContentfulStatusCode);
}

export function kserveOnError(logger: Logger): ErrorHandler<AppEnv> {
  return (err, c) => kserveErrorResponse(c, err, logger);
}
