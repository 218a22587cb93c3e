/**
 * @module handlers/http/request-id
 * Every request gets an id, echoed in `X-Request-Id` and carried by every log line about it.
 * A caller's id is kept when it is sane (1..128 of [A-Za-z0-9_-=], so it cannot forge log
 * fields or bloat headers); anything else is replaced by a fresh UUID.
 */
import type { MiddlewareHandler } from 'hono';
import { requestId as honoRequestId } from 'hono/request-id';
import type { AppEnv } from './types.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';
export const MAX_REQUEST_ID_LENGTH = 128;

export function requestId(): MiddlewareHandler<AppEnv> {
  return honoRequestId({ headerName: REQUEST_ID_HEADER, limitLength: MAX_REQUEST_ID_LENGTH });
}
