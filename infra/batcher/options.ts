/**
 * @module infra/batcher/options
 * Checks batcher options once, at creation, and fills in the defaults.
 */
import { invalidParameterError, isInteger } from '../../core/validate/index.js';
import { BATCHER_DEFAULTS, type BatcherOptions } from './types.js';

export interface ResolvedBatcherOptions {
  readonly maxBatchSize: number;
  readonly maxQueueDelayMs: number;
  readonly maxQueue: number;
  readonly maxInFlight: number;
  readonly retryAfterS: number;
}

function intAtLeast(name: string, v: unknown, min: number): number {
  if (!isInteger(v) || v < min) throw invalidParameterError(name, `integer >= ${min}`, v);
  return v;
}

export function resolveBatcherOptions<I, O>(o: BatcherOptions<I, O>): ResolvedBatcherOptions {
  if (typeof o.run !== 'function') throw invalidParameterError('run', 'function', o.run);
  const clock = o.clock as unknown;
  if (typeof clock !== 'object' || clock === null || typeof o.clock.now !== 'function') {
    throw invalidParameterError('clock', 'Clock', clock);
  }
  if (o.onBatch !== undefined && typeof o.onBatch !== 'function') throw invalidParameterError('onBatch', 'function', o.onBatch);
  return {
    maxBatchSize: intAtLeast('maxBatchSize', o.maxBatchSize ?? BATCHER_DEFAULTS.maxBatchSize, 1),
    maxQueueDelayMs: intAtLeast('maxQueueDelayUs', o.maxQueueDelayUs ?? BATCHER_DEFAULTS.maxQueueDelayUs, 0) / 1000,
    maxQueue: intAtLeast('maxQueue', o.maxQueue ?? BATCHER_DEFAULTS.maxQueue, 1),
    maxInFlight: intAtLeast('maxInFlight', o.maxInFlight ?? BATCHER_DEFAULTS.maxInFlight, 1),
    retryAfterS: intAtLeast('retryAfterS', o.retryAfterS ?? BATCHER_DEFAULTS.retryAfterS, 0),
  };
}
