/**
 * @module handlers/http/kserve
 * The KServe v2 / Open Inference Protocol REST API with Triton's binary tensor data extension.
 * Re-exports only.
 */
export { decodeBytesElements, encodeBytesElements } from './bytes-elements.js';
export { kserveErrorResponse, kserveOnError } from './errors.js';
export { EXTENSIONS, IMAGE_INPUT, modelMetadata, PLATFORM, serverMetadata } from './metadata.js';
export { buildOutputs, OUTPUT_NAMES } from './outputs.js';
export { parseInferParams } from './params.js';
export type { InferParams } from './params.js';
export { decodeInputs, splitInferBody } from './request-codec.js';
export { decodeInferResponse, encodeInferResponse } from './response-codec.js';
export type { EncodedResponse } from './response-codec.js';
export { kserveRoutes } from './routes.js';
export { MAX_BATCH_ITEMS, runInputs } from './run-inputs.js';
export * from './wire-types.js';
