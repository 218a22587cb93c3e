/**
 * @module core/batch/assemble
 * Normalises each decoded item straight into its slot of one batch tensor. Padding slots are
 * zero rather than the normalised pad colour: their outputs are dropped by splitBatch, and zeros
 * cannot depend on options. This is the main-thread path (tests, the bench's baseline); serving
 * packs uint8 pixels (packBatch) and lets the engine worker normalise into a tensor it reuses.
 */
import type { Tensor } from '../ports/index.js';
import type { Size } from '../types.js';
import { createNormalizer, DEFAULT_NORMALIZE, type NormalizeOptions, type Normalizer } from '../normalize/index.js';
import { invalidParameterError } from '../validate/index.js';
import { pickBatchSize } from './pick.js';
import { createBatchTensor } from './tensor.js';

export interface BatchItem {
  /** HWC uint8, 3 channels, `size` pixels (a letterboxed image). */
  readonly pixels: Uint8Array;
  readonly size: Size;
}

export interface AssembledBatch {
  readonly tensor: Tensor;
  /** Dim 0 of the tensor: an allowed size >= count. */
  readonly batchSize: number;
  /** Real items; slots count..batchSize-1 are zero padding. */
  readonly count: number;
}

export interface AssembleOptions {
  /** Hot paths pass a long-lived one. @default a fresh createNormalizer() (one WASM instantiation) */
  readonly normalizer?: Normalizer;
}

/** More items than the largest allowed size is an error: split first. */
export function assembleBatch(
  items: readonly BatchItem[],
  allowed: readonly number[],
  normalize: Partial<NormalizeOptions>,
  options: AssembleOptions = {},
): AssembledBatch {
  const normalizer = options.normalizer ?? createNormalizer();
  if (!Array.isArray(items) || items.length === 0) throw invalidParameterError('items', 'non-empty array of images', items);
  const batchSize = pickBatchSize(items.length, allowed);
  if (items.length > batchSize) throw invalidParameterError('items.length', `at most ${batchSize} items (largest allowed batch)`, items.length);
  const { width, height } = items[0]!.size;
  const dtype = normalize.dtype ?? DEFAULT_NORMALIZE.dtype;
  const slot = 3 * width * height;
  const tensor = createBatchTensor(batchSize, [3, height, width], dtype);
  items.forEach((item, i) => {
    if (item.size?.width !== width || item.size?.height !== height) {
      throw invalidParameterError(`items[${i}].size`, `${width}x${height} like items[0]`, `${item.size?.width}x${item.size?.height}`);
    }
    normalizer.normalizeInto(item.pixels, item.size, tensor.data as Float32Array | Uint16Array, i * slot, normalize);
  });
  return { tensor, batchSize, count: items.length };
}
