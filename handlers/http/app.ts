/**
 * @module handlers/http/app
 * `createApp`: the detectfn HTTP function as a Hono app. Wiring only, as thin as Hono's hono.ts:
 * the shared middleware in order (handlers/http/middleware), then the route groups (the image
 * routes, health and models, KServe v2, the web page, S3 events). Every group is mounted after
 * the middleware, so it gets request ids, auth, access logs and the one error mapper for free.
 */
import { Hono } from 'hono';
import { eventRoutes } from '../events/deliveries.js';
import { kserveRoutes } from '../kserve/rest.js';
import { loadApiKeys } from '../request.js';
import { detectRoutes, preprocessRoutes } from './detect.js';
import { healthRoutes, modelRoutes } from './health.js';
import { accessLog, type App, type AppDeps, type AppEnv, type AppOptions, bearerAuth, notFound, onError, requestId, settleUnreadBody } from './middleware.js';
import { uiRoutes } from './page.js';


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
