/**
 * @module handlers/http/kserve/errors
 * Errors in the protocol's shape, `{"error": "<message>"}`, with the status from
 * ERROR_STATUS. The shared error handler does the mapping and the logging; only the body differs.
 */
import type { Context, ErrorHandler } from 'hono';
import type { Logger } from '../../../infra/log/index.js';
import { errorResponse, kserveErrorBody } from '../error-handler.js';
import type { AppEnv } from '../types.js';

export function kserveErrorResponse(c: Context<AppEnv>, raw: unknown, logger: Logger): Response {
  return errorResponse(c, raw, logger, kserveErrorBody);
}

export function kserveOnError(logger: Logger): ErrorHandler<AppEnv> {
  return (err, c) => kserveErrorResponse(c, err, logger);
}
