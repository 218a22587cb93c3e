/**
 * @module handlers/http/access-log
 * One structured line and one metrics sample per request: route pattern (never the raw path,
 * so metric labels stay bounded), method, status and milliseconds. Never bodies, never
 * headers: a log line cannot leak an image or a key. Error lines come from the error handler.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../../infra/log/index.js';
import type { Metrics } from '../../infra/metrics/index.js';
import type { AppEnv } from './types.js';

/**
 * The template of the handler that answered (Hono's routeIndex after the chain ran, not the
 * last match: every /v2 path also matches the protocol's catch-all `/v2/*`), with parameter
 * patterns dropped (`:model{[^/]+}` -> `:model`). Middleware-only matches are "unmatched".
 */
export function routeOf(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const p = routePath(c).replace(/(:\w+)\{[^}]*\}/g, '$1');
  return p === '' || p === '*' || p === '/*' ? 'unmatched' : p;
}

export function accessLog(logger: Logger, metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async function accessLog(c, next) {
    const t0 = performance.now();
    await next();
    const ms = performance.now() - t0;
    const route = routeOf(c);
    const status = c.res.status;
    metrics.recordRequest(route, c.req.method, status, ms / 1000);
    // Probes and scrapes would drown the log at info level.
    const quiet = route === '/healthz' || route === '/readyz' || route === '/metrics';
    const line = { reqId: c.get('requestId'), method: c.req.method, route, status, ms: Math.round(ms * 10) / 10 };
    if (quiet) logger.debug(line, 'request');
    else logger.info(line, 'request');
  };
}
