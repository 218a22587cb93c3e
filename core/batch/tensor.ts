/**
 * @module core/batch/tensor
 * Batch tensors and per-item views. A fresh typed array (zero-filled by the platform) per batch,
 * so it can be transferred to the engine worker; outputs are split with subarray views, no copy.
 */
import type { Tensor } from '../ports/index.js';
import { expectInteger, expectOneOf, invalidParameterError } from '../validate/index.js';

export type BatchDType = 'float32' | 'float16';

/** [batchSize, c, h, w]; float16 holds IEEE half bits in a Uint16Array. Padding slots are zeros. */
export function createBatchTensor(batchSize: number, chw: readonly [number, number, number], dtype: BatchDType): Tensor {
  expectInteger('batchSize', batchSize, 1);
  if (!Array.isArray(chw) || chw.length !== 3) throw invalidParameterError('chw', 'array [channels, height, width]', chw);
  chw.forEach((d, i) => expectInteger(`chw[${i}]`, d, 1));
  expectOneOf('dtype', dtype, ['float32', 'float16'] as const);
  const n = batchSize * chw[0] * chw[1] * chw[2];
  const data = dtype === 'float16' ? new Uint16Array(n) : new Float32Array(n);
  return { dtype, dims: [batchSize, chw[0], chw[1], chw[2]], data };
}

/** Item `index` along dim 0 as a view with dims [1, ...rest]: the model's batch-1 output shape. */
export function itemView(output: Tensor, index: number): Tensor {
  const batch = output.dims[0];
  if (output.dims.length === 0 || !Number.isInteger(batch) || batch! < 1) {
    throw invalidParameterError('output.dims', 'dims with a batch dimension first', output.dims.join('x'));
  }
  expectInteger('index', index, 0, batch! - 1);
  const per = output.data.length / batch!;
  const data = output.data.subarray(index * per, (index + 1) * per);
  return { dtype: output.dtype, dims: [1, ...output.dims.slice(1)], data };
}

/** Views of the first `count` items; slots past `count` are batch padding and are dropped. */
export function splitBatch(output: Tensor, count: number): Tensor[] {
  expectInteger('count', count, 0, output.dims[0] ?? 0);
  return Array.from({ length: count }, (_, i) => itemView(output, i));
}
