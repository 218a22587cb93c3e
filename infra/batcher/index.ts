/**
 * @module infra/batcher
 * The micro-batcher: createBatcher and its option types.
 */
export { createBatcher } from './batcher.js';
export { BATCHER_DEFAULTS } from './types.js';
export type { BatchStats, Batcher, BatcherOptions, Reservation, SubmitOptions } from './types.js';
