/**
 * @module detectfn
 * The package's Node entry point (`import ... from 'detectfn'`, bundled to dist/index.js):
 * serve detectors in-process (`startServer`), or build the pieces yourself (config, model
 * registry, Hono app, Lambda and S3-event handlers, the CLI). onnxruntime-node and sharp stay
 * external runtime dependencies. The pure, runtime-neutral part (letterbox, decode, NMS,
 * output, errors) is `detectfn/core`; the error class is re-exported here and is the same
 * class object in both entries (one shared chunk), so `instanceof DetectError` holds across them.
 */
export { DetectError, ERROR_STATUS, isDetectError, toDetectError } from './core/errors/index.js';
export type { DetectErrorOptions, ErrorCode } from './core/errors/index.js';

// Serving: the whole HTTP server, and the parts dist/server.js wires around it.
export { exitOnLoadFailure, exitOnSignals, registryOptions, resolveModelPaths, startServer } from './handlers/serve/index.js';
export type { RunningServer, StartServerOptions } from './handlers/serve/index.js';
export { createApp } from './handlers/app.js';
export type { App, AppDeps, AppOptions, RouteGroup } from './handlers/app.js';

// The model registry: manifests -> loaded, warm, batched models.
export { createModelRegistry, manifestFor } from './infra/runtime/index.js';
export type { ClassifyOptions, ClassifyResult, DetectResult, ModelDescription, ModelRegistry, ModelRegistryOptions, ModelService, RequestContext } from './infra/runtime/index.js';
export { loadConfig } from './infra/config/index.js';
export type { ServiceConfig } from './infra/config/index.js';
export { createLogger, silentLogger } from './infra/log/index.js';
export type { Logger, LoggerOptions } from './infra/log/index.js';
export { createMetrics } from './infra/metrics/index.js';
export type { Metrics } from './infra/metrics/index.js';

// The other handlers: AWS Lambda (HTTP and S3/SQS events), S3 object events, the CLI.
export { createLambdaHandler } from './handlers/lambda/create-handler.js';
export type { LambdaHandlerOptions } from './handlers/lambda/create-handler.js';
export { configuredEvents } from './handlers/events/configured-processor.js';
export type { ConfiguredEvents, EventDeps } from './handlers/events/configured-processor.js';
export { createObjectEventHandler } from './handlers/events/lambda-events.js';
export type { ObjectEventHandlerDeps, ObjectEventResult } from './handlers/events/lambda-events.js';
export { runCli } from './handlers/cli/index.js';
