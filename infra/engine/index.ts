/**
 * @module infra/engine
 * onnxruntime-node behind the core Engine port, sessions in worker threads, plus warmup.
 */
export { createEngine } from './create-engine.js';
export { ENGINE_DEFAULTS, SILENT_LOGGER } from './types.js';
export type { EngineHealth, EngineLogger, EngineOptions, GraphOptimizationLevel, RestartBackoff, WorkerEngine, WorkerEngineRunOptions } from './types.js';
export { createSessionWithFallback, sessionOptions } from './session.js';
export type { CreatedSession, SessionSettings } from './session.js';
export { toOrtFeeds, fromOrtOutputs } from './tensor-convert.js';
export { warmupEngine } from './warmup.js';
export type { WarmupOptions, WarmupShape } from './warmup.js';
