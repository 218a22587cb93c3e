/**
 * @module infra/runtime
 * Everything between a manifest and a served model: cold start, batched inference, pipeline.
 */
export { createBatchedInference } from './batched-inference.js';
export type { BatchedInference, BatchedInferenceOptions, InferItem, InferResult } from './batched-inference.js';
export { loadModel } from './load-model.js';
export { wrongTaskError } from './wrong-task.js';
export type { Task } from './wrong-task.js';
export type { LoadModelDeps } from './load-model.js';
export { createModelRegistry, manifestFor } from './registry.js';
export type {
  ClassifyOptions,
  ClassifyResult,
  ColdStart,
  DetectResult,
  ModelDescription,
  ModelRegistry,
  ModelRegistryOptions,
  ModelService,
  RequestContext,
} from './model-service.js';
export { createPreprocessor, normalizeOptions } from './preprocess-image.js';
export type { PreprocessedImage, Preprocessor } from './preprocess-image.js';
