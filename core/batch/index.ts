export { expectAllowedBatchSizes, pickBatchSize } from './pick.js';
export { createBatchTensor, itemView, splitBatch } from './tensor.js';
export type { BatchDType } from './tensor.js';
export { assembleBatch } from './assemble.js';
export type { AssembledBatch, AssembleOptions, BatchItem } from './assemble.js';
export { packBatch } from './pack.js';
export type { PackOptions } from './pack.js';
export { expectPixelBatch, normalizePixelBatch, pixelBatchShape } from './pixel-batch.js';
export type { PixelBatchShape } from './pixel-batch.js';
