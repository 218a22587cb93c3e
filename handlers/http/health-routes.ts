/**
 * @module handlers/http/health-routes
 * `/healthz`: liveness, 200 whenever the process can answer (also during a cold start).
 * `/readyz`: 200 only when every configured model is loaded and warm; otherwise a 503
 * NOT_READY naming the models still loading, with Retry-After. `/metrics`: Prometheus text.
 */
import { DetectError } from '../../core/errors/index.js';
import type { App, AppDeps } from './types.js';

/** How long a load balancer should wait before asking /readyz again. */
export const READY_RETRY_AFTER_S = 1;

export function notReadyModels(deps: Pick<AppDeps, 'registry'>): string[] {
  const ready = new Set(deps.registry.list().filter((m) => m.isReady()).map((m) => m.describe().name));
  return deps.registry.names().filter((name) => !ready.has(name));
}

export function healthRoutes(app: App, deps: AppDeps): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', (c) => {
    if (deps.registry.allReady()) return c.json({ status: 'ready', models: deps.registry.names() });
    const waiting = notReadyModels(deps);
    throw new DetectError('NOT_READY', `models not ready: ${waiting.join(', ') || '(none configured)'}`, {
      retryAfterS: READY_RETRY_AFTER_S,
      details: { notReady: waiting },
    });
  });

  app.get('/metrics', async (c) => {
    const text = await deps.metrics.render();
    return c.body(text, 200, { 'Content-Type': deps.metrics.contentType });
  });
}
