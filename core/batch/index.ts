export { expectAllowedBatchSizes, pickBatchSize } from './pick.js';
export { createBatchTensor, itemView, splitBatch } from './tensor.js';
export type { BatchDType } from './tensor.js';
export { assembleBatch } from './assemble.js';
export type { AssembledBatch, AssembleOptions, BatchItem } from './assemble.js';
