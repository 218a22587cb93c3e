/**
 * @module handlers/http/model-routes
 * `GET /v1/models`: every configured model, described when loaded, `{name, warm: false,
 * loading: true}` while it still loads. `GET /v1/models/:model`: one ModelService.describe()
 * (404 MODEL_NOT_FOUND, 503 NOT_READY while loading: the registry decides).
 */
import type { App, AppDeps } from './types.js';

export function modelRoutes(app: App, deps: AppDeps): void {
  app.get('/v1/models', (c) => {
    const loaded = new Map(deps.registry.list().map((m) => [m.describe().name, m.describe()] as const));
    const models = deps.registry.names().map((name) => loaded.get(name) ?? { name, warm: false, loading: true });
    return c.json({ models });
  });

  app.get('/v1/models/:model', (c) => c.json(deps.registry.get(c.req.param('model')).describe()));
}
