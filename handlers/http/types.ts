/**
 * @module handlers/http/types
 * What the HTTP function is built from, and the per-request variables its middleware sets.
 * Handlers see models only through ModelRegistry: no onnxruntime, sharp or batcher types here.
 */
import type { Hono } from 'hono';
import type { ServiceConfig } from '../../infra/config/index.js';
import type { Logger } from '../../infra/log/index.js';
import type { Metrics } from '../../infra/metrics/index.js';
import type { ModelRegistry } from '../../infra/runtime/model-service.js';

export interface AppDeps {
  readonly registry: ModelRegistry;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly config: ServiceConfig;
}

export interface AppVariables {
  /** Set by the request-id middleware before anything else runs. */
  requestId: string;
}

export interface AppEnv {
  Variables: AppVariables;
}

export type App = Hono<AppEnv>;

/** Mounts a route group (KServe v2, admin, ...) on the app after the shared middleware. */
export type RouteGroup = (app: App, deps: AppDeps) => void;

export interface AppOptions {
  /** Extra route groups; they get request id, auth, access log and the error mapper too. */
  readonly extraRoutes?: readonly RouteGroup[];
}
