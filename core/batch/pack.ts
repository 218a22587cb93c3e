/**
 * @module core/batch/pack
 * The caller's half of engine-side normalisation: copies each item's HWC uint8 pixels into its
 * slot of one uint8 [B, H, W, 3] batch (a quarter of the float tensor, and a plain memcpy), which
 * the engine then normalises itself (see pixel-batch.ts). Padding slots are zero pixels.
 */
import type { Tensor } from '../ports/index.js';
import { invalidParameterError } from '../validate/index.js';
import type { AssembledBatch, BatchItem } from './assemble.js';
import { pickBatchSize } from './pick.js';

export interface PackOptions {
  /** A Uint8Array to overwrite when its length is exactly the batch's (a recycled one). @default undefined */
  readonly into?: Uint8Array;
}

/** More items than the largest allowed size is an error: split first. */
export function packBatch(items: readonly BatchItem[], allowed: readonly number[], options: PackOptions = {}): AssembledBatch {
  if (!Array.isArray(items) || items.length === 0) throw invalidParameterError('items', 'non-empty array of images', items);
  const batchSize = pickBatchSize(items.length, allowed);
  if (items.length > batchSize) throw invalidParameterError('items.length', `at most ${batchSize} items (largest allowed batch)`, items.length);
  const { width, height } = items[0]!.size;
  const slot = 3 * width * height;
  const into = options.into;
  const fits = into instanceof Uint8Array && into.length === batchSize * slot;
  const data = fits ? into : new Uint8Array(batchSize * slot);
  // A recycled buffer still holds the last batch: padding must not depend on it.
  if (fits) data.fill(0, items.length * slot);
  items.forEach((item, i) => {
    if (item.size?.width !== width || item.size?.height !== height) {
      throw invalidParameterError(`items[${i}].size`, `${width}x${height} like items[0]`, `${item.size?.width}x${item.size?.height}`);
    }
    if (!(item.pixels instanceof Uint8Array) || item.pixels.length !== slot) {
      throw invalidParameterError(`items[${i}].pixels`, `Uint8Array of ${slot} bytes (width x height x 3)`, item.pixels?.length);
    }
    data.set(item.pixels, i * slot);
  });
  const tensor: Tensor = { dtype: 'uint8', dims: [batchSize, height, width, 3], data };
  return { tensor, batchSize, count: items.length };
}
