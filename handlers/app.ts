/**
 * @module handlers/app
 * `createApp`: the detectfn HTTP function as a Hono app. Wiring only (as thin as Hono's
 * hono.ts): middleware in order, then route groups; each piece lives in handlers/http/.
 * Every group (detect, KServe v2, the web page, S3 events, extras) is mounted after the shared middleware, so it gets
 * request ids, auth, access logs and the one error mapper for free.
 */
import { Hono } from 'hono';
import { accessLog } from './http/access-log.js';
import { bearerAuth, loadApiKeys } from './http/auth.js';
import { detectRoutes } from './http/detect-route.js';
import { eventRoutes } from './http/events.js';
import { notFound, onError } from './http/error-handler.js';
import { healthRoutes } from './http/health-routes.js';
import { kserveRoutes } from './http/kserve/index.js';
import { modelRoutes } from './http/model-routes.js';
import { preprocessRoutes } from './http/preprocess-route.js';
import { requestId } from './http/request-id.js';
import { settleUnreadBody } from './http/unread-body.js';
import { uiRoutes } from './http/ui-route.js';
import type { App, AppDeps, AppEnv, AppOptions } from './http/types.js';

export function createApp(deps: AppDeps, options: AppOptions = {}): App {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(accessLog(deps.logger, deps.metrics));
  app.use(settleUnreadBody(deps.config.DETECTFN_MAX_BODY_BYTES));
  app.use(bearerAuth(loadApiKeys(deps.config)));
  healthRoutes(app, deps);
  modelRoutes(app, deps);
  detectRoutes(app, deps);
  preprocessRoutes(app, deps);
  kserveRoutes(app, deps);
  uiRoutes(app, deps);
  for (const mount of options.extraRoutes ?? []) mount(app, deps);
  // After the extras: an injected eventRoutes({ s3Client }) group (tests, bench) answers first.
  eventRoutes()(app, deps);
  app.onError(onError(deps.logger));
  app.notFound(notFound(deps.logger));
  return app;
}

export type { App, AppDeps, AppEnv, AppOptions, RouteGroup } from './http/types.js';
