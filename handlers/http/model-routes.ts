/**
 * @module handlers/http/model-routes
 * `GET /v1/models`: every configured model with its readiness `state` (and `reason` when not
 * ready), described when loaded, `{name, state: 'loading', warm: false}` while it still loads.
 * `GET /v1/models/:model`: one ModelService.describe() plus its health (404 MODEL_NOT_FOUND,
 * 503 NOT_READY while loading: the registry decides).
 * A classifier is shown without the detector's fields (output decoder, conf/iou/max_det
 * defaults): they do not apply to it.
 */
import type { ModelDescription } from '../../infra/runtime/model-service.js';
import type { App, AppDeps } from './types.js';

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
