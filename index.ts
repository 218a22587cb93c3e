/**
 * @module detectfn
 * The package's Node entry point (`import ... from 'detectfn'`, bundled to dist/index.js):
 * serve detectors in-process (`startServer`), or build the pieces yourself (config, model
 * registry, Hono app, Lambda and S3-event handlers, the CLI). onnxruntime-node and sharp stay
 * external runtime dependencies. The pure, runtime-neutral part (letterbox, decode, NMS,
 * output, errors) is `detectfn/core`; the error class is re-exported here and is the same
 * class object in both entries (one shared chunk), so `instanceof DetectError` holds across them.
 */
export { DetectError, ERROR_STATUS, isDetectError, toDetectError } from './core/errors.js';
export type { DetectErrorOptions, ErrorCode } from './core/errors.js';
export type { ClassifyOptions, DetectOptions } from './core/options.js';

// Serving: the whole HTTP server, and the parts dist/server.js wires around it.
export { exitOnLoadFailure, exitOnSignals, registryOptions, resolveModelPaths, startServer } from './handlers/serve.js';
export type { RunningServer, StartServerOptions } from './handlers/serve.js';
export { createApp } from './handlers/http/app.js';
export type { App, AppDeps, AppOptions, RouteGroup } from './handlers/http/middleware.js';

// The model registry: manifests -> loaded, warm, batched models.
export { createModelRegistry, manifestFor } from './infra/model/registry.js';
export type { ModelRegistry, ModelRegistryOptions, ModelService } from './infra/model/registry.js';
export type { ClassifyResult } from './infra/model/classify.js';
export type { DetectResult } from './infra/model/detect.js';
export type { ModelDescription } from './infra/model/load.js';
export type { RequestContext } from './infra/model/inference.js';
export { loadConfig } from './infra/config.js';
export type { ServiceConfig } from './infra/config.js';
export { createLogger, silentLogger } from './infra/config.js';
export type { Logger, LoggerOptions } from './infra/config.js';
export { createMetrics } from './infra/metrics.js';
export type { Metrics } from './infra/metrics.js';

// The other handlers: AWS Lambda (HTTP and S3/SQS events), S3 object events, the CLI.
export { createLambdaHandler } from './handlers/lambda.js';
export type { LambdaHandlerOptions } from './handlers/lambda.js';
export { configuredEvents } from './handlers/events/deliveries.js';
export type { ConfiguredEvents, EventDeps } from './handlers/events/deliveries.js';
export { createObjectEventHandler } from './handlers/events/deliveries.js';
export type { ObjectEventHandlerDeps, ObjectEventResult } from './handlers/events/deliveries.js';
export { runCli } from './handlers/cli/cli.js';
