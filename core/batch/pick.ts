/**
 * @module core/batch/pick
 * Which batch shape to run: every shape costs a warm-up (and on GPU a cuDNN/TensorRT set-up),
 * so a service allows a few sizes and pads up to the smallest that fits.
 */
import { expectInteger, invalidParameterError } from '../validate/index.js';

/** `allowed` must be strictly increasing positive integers; a fixed-batch model passes [n]. */
export function expectAllowedBatchSizes(allowed: readonly number[]): readonly number[] {
  if (!Array.isArray(allowed) || allowed.length === 0) throw invalidParameterError('allowed', 'non-empty array of batch sizes', allowed);
  allowed.forEach((n, i) => {
    expectInteger(`allowed[${i}]`, n, 1);
    if (i > 0 && n <= allowed[i - 1]!) throw invalidParameterError(`allowed[${i}]`, `integer above allowed[${i - 1}] (sorted, no repeats)`, n);
  });
  return allowed;
}

/** Smallest allowed size >= count; the largest allowed when count exceeds them all (callers split). */
export function pickBatchSize(count: number, allowed: readonly number[]): number {
  expectInteger('count', count, 1);
  expectAllowedBatchSizes(allowed);
  for (const n of allowed) if (n >= count) return n;
  return allowed[allowed.length - 1]!;
}
