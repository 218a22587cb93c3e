/**
 * @module handlers/http/health
 * `/healthz`: liveness, 200 whenever the process can answer (also during a cold start).
 * `/readyz`: 200 only when every configured model is loaded, warm and has a live engine;
 * otherwise a 503 NOT_READY naming each model that is not ready and why (loading, the last
 * load error while retrying, no live engine worker, shutting down), with Retry-After.
 * `/metrics`: Prometheus text.
 */
import { DetectError } from '../../core/errors.js';
import type { ModelDescription } from '../../infra/model/load.js';
import type { App, AppDeps } from './middleware.js';

/** How long a load balancer should wait before asking /readyz again. */
export const READY_RETRY_AFTER_S = 1;

/** "yolov8n (unavailable: no live engine worker), demo (loading)": what is not ready, and why. */
export function notReadyModels(deps: Pick<AppDeps, 'registry'>): string[] {
  return deps.registry
    .status()
    .filter((s) => s.state !== 'ready')
    .map((s) => `${s.name} (${s.state}${s.reason ? `: ${s.reason}` : ''})`);
}

/** The 503 every readiness route answers while not ready. */
export function notReadyError(deps: Pick<AppDeps, 'registry'>): DetectError {
  const waiting = notReadyModels(deps);
  return new DetectError('NOT_READY', `models not ready: ${waiting.join(', ') || '(none configured yet)'}`, {
    retryAfterS: READY_RETRY_AFTER_S,
    details: { models: deps.registry.status().filter((s) => s.state !== 'ready') },
  });
}

export function healthRoutes(app: App, deps: AppDeps): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', (c) => {
    if (deps.registry.allReady()) return c.json({ status: 'ready', models: deps.registry.names() });
    throw notReadyError(deps);
  });

  app.get('/metrics', async (c) => {
    const text = await deps.metrics.render();
    return c.body(text, 200, { 'Content-Type': deps.metrics.contentType });
  });
}

// `GET /v1/models`: every configured model with its readiness `state` (and `reason` when not
// ready), described when loaded, `{name, state: 'loading', warm: false}` while it still loads.
// `GET /v1/models/:model`: one ModelService.describe() plus its health (404 MODEL_NOT_FOUND,
// 503 NOT_READY while loading: the registry decides).
// A classifier is shown without the detector's fields (output decoder, conf/iou/max_det
// defaults): they do not apply to it.
function publicView(d: ModelDescription): Partial<ModelDescription> {
  if (d.task !== 'classify') return d;
  const { decoder: _decoder, defaults: _defaults, ...rest } = d;
  return rest;
}

export function modelRoutes(app: App, deps: AppDeps): void {
  app.get('/v1/models', (c) => {
    const loaded = new Map(deps.registry.list().map((m) => [m.describe().name, publicView(m.describe())] as const));
    const models = deps.registry.status().map((s) => ({ ...(loaded.get(s.name) ?? { name: s.name, warm: false }), ...s }));
    return c.json({ models });
  });

  app.get('/v1/models/:model', (c) => {
    const model = deps.registry.get(c.req.param('model'));
    return c.json({ ...publicView(model.describe()), ...model.health() });
  });
}
