/**
 * @module core
 * The public API of core/: pure functions and types, no I/O. Each module appends its exports.
 */
export * from './errors/index.js';
export * from './letterbox/index.js';
export * from './math/index.js';
export type * from './ports/index.js';
export { elementCount } from './ports/index.js';
export type * from './types.js';
export * from './normalize/index.js';
export * from './batch/index.js';
export * from './resize/index.js';
export * from './metrics/index.js';
export * from './options/index.js';
export * from './decode/index.js';
export * from './nms/index.js';
export * from './output/index.js';
export * from './postprocess/index.js';
export * from './preprocess/index.js';
export * from './crop/index.js';
export * from './classify/index.js';
