/**
 * @module handlers/http/kserve
 * The KServe v2 / Open Inference Protocol REST API with Triton's binary tensor data extension.
 * Re-exports only.
 */
export { decodeBytesElements, encodeBytesElements } from './bytes-elements.js';
export { kserveErrorResponse, kserveOnError } from './errors.js';
export { EXTENSIONS, IMAGE_INPUT, modelMetadata, PLATFORM, serverMetadata } from './metadata.js';
export { buildOutputs, OUTPUT_NAMES } from './outputs.js';
export { inferRequestParams, parseInferParams, refuseClassification } from './params.js';
export type { InferParams } from './params.js';
export { decodeContentEncoding, SUPPORTED_ENCODINGS } from './request-body.js';
export { decodeInputs, splitInferBody } from './request-codec.js';
export { decodeInferResponse, encodeInferResponse } from './response-codec.js';
export type { EncodedResponse } from './response-codec.js';
export { kserveRoutes } from './routes.js';
export { MAX_BATCH_ITEMS, runInputs } from './run-inputs.js';
export { modelConfig, modelStatistics, repositoryIndex } from './triton-views.js';
export type { TritonBatchStats, TritonIndexEntry, TritonModelConfig, TritonModelStats, TritonTensorConfig } from './triton-views.js';
export * from './wire-types.js';
