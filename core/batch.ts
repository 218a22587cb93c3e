/**
 * @module core/batch
 * Batch assembly: many decoded images into one engine input, and the engine's output back into
 * one view per image.
 *
 * Every batch shape costs a warm-up (and on GPU a cuDNN/TensorRT set-up), so a service allows a
 * few sizes and pads up to the smallest that fits (`pickBatchSize`); padding slots are zeros and
 * their outputs are dropped (`splitBatch`). Serving takes two steps, split across threads:
 *
 * - the caller packs each item's HWC uint8 pixels into one uint8 [B, H, W, 3] batch
 *   (`packBatch`: a quarter of the float tensor, and a plain memcpy);
 * - the engine checks that batch once where the run enters it (`expectPixelBatch`) and normalises
 *   it slot by slot into a [B, 3, H, W] float tensor it owns and reuses (`normalizePixelBatch`).
 *
 * `assembleBatch` does both on the calling thread into a fresh float tensor: the path for tests,
 * the bench's baseline and callers that normalise themselves.
 *
 * Checked once, where each thing enters: the allowed sizes when a model loads
 * (`expectAllowedBatchSizes`), each item when it is submitted to the batcher (its size is the
 * model input's, its pixels width x height x 3 bytes), a pixel batch where the run enters the
 * engine (`expectPixelBatch`). Everything else here runs once per batch or per item and trusts
 * its arguments, as onnxruntime's backends trust what InferenceSession.run checked. The one check
 * left on the way is on the model's own output: a batch dimension too small for the items run.
 */
import { DetectError, expectInteger, invalidParameterError } from './errors.js';
import { createNormalizer, DEFAULT_NORMALIZE, type NormalizeDType, type NormalizeOptions, type Normalizer, planNormalize } from './normalize.js';
import type { Tensor } from './types.js';
import type { Size } from './geometry.js';

/** The number of elements of a tensor of `dims` (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

// Allowed batch sizes.

/**
 * `allowed` must be strictly increasing positive integers; a fixed-batch model passes [n]. Call it
 * once, when a model loads: pickBatchSize, packBatch and assembleBatch trust what it accepted.
 */
export function expectAllowedBatchSizes(allowed: readonly number[]): readonly number[] {
  if (!Array.isArray(allowed) || allowed.length === 0) throw invalidParameterError('allowed', 'non-empty array of batch sizes', allowed);
  allowed.forEach((n, i) => {
    expectInteger(`allowed[${i}]`, n, 1);
    if (i > 0 && n <= allowed[i - 1]!) throw invalidParameterError(`allowed[${i}]`, `integer above allowed[${i - 1}] (sorted, no repeats)`, n);
  });
  return allowed;
}

/**
 * Smallest allowed size >= count; the largest allowed when count exceeds them all (callers split).
 * Trusts its arguments: `allowed` checked once by expectAllowedBatchSizes, `count` >= 1.
 */
export function pickBatchSize(count: number, allowed: readonly number[]): number {
  for (const n of allowed) if (n >= count) return n;
  return allowed[allowed.length - 1]!;
}

// Packing pixels (the caller's half of serving).

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

export interface PackOptions {
  /** A Uint8Array to overwrite when its length is exactly the batch's (a recycled one). @default undefined */
  readonly into?: Uint8Array;
}

/**
 * Each item's pixels into its slot of a uint8 [B, H, W, 3] batch. Trusts its arguments: `allowed`
 * checked once by expectAllowedBatchSizes; `items` 1 to max(allowed) of them (split first), all
 * of one size, each with width x height x 3 bytes of pixels (the batcher checks every item as it
 * is submitted).
 */
export function packBatch(items: readonly BatchItem[], allowed: readonly number[], options: PackOptions = {}): AssembledBatch {
  const batchSize = pickBatchSize(items.length, allowed);
  const { width, height } = items[0]!.size;
  const slot = 3 * width * height;
  const into = options.into;
  const fits = into instanceof Uint8Array && into.length === batchSize * slot;
  const data = fits ? into : new Uint8Array(batchSize * slot);
  // A recycled buffer still holds the last batch: padding must not depend on it.
  if (fits) data.fill(0, items.length * slot);
  items.forEach((item, i) => data.set(item.pixels, i * slot));
  const tensor: Tensor = { dtype: 'uint8', dims: [batchSize, height, width, 3], data };
  return { tensor, batchSize, count: items.length };
}

// Normalising a pixel batch (the engine's half of serving).

export interface PixelBatchShape {
  readonly batchSize: number;
  readonly size: Size;
  /** Element type of the normalised tensor. */
  readonly dtype: NormalizeDType;
  /** [B, 3, H, W]: the dims the model gets. */
  readonly dims: readonly [number, number, number, number];
}

/** Throws INVALID_ARGUMENT unless `feed` is a uint8 [B, H, W, 3] tensor and `options` plan. */
export function expectPixelBatch(name: string, feed: Tensor | undefined, options: Partial<NormalizeOptions>): PixelBatchShape {
  if (feed === undefined) throw invalidParameterError(`feeds.${name}`, 'a feed for every normalize entry', feed);
  if (feed.dtype !== 'uint8' || !(feed.data instanceof Uint8Array)) {
    throw invalidParameterError(`feeds.${name}.dtype`, 'uint8 pixels (Uint8Array) to normalize', feed.dtype);
  }
  const dims = feed.dims;
  if (!Array.isArray(dims) || dims.length !== 4 || dims[3] !== 3) {
    throw invalidParameterError(`feeds.${name}.dims`, 'HWC pixel batch [B, H, W, 3]', Array.isArray(dims) ? dims.join('x') : dims);
  }
  const bad = dims.findIndex((d) => !Number.isInteger(d) || d < 1);
  if (bad >= 0) throw invalidParameterError(`feeds.${name}.dims[${bad}]`, 'integer >= 1', dims[bad]);
  const [b, h, w] = dims as [number, number, number, number];
  if (feed.data.length !== b * h * w * 3) throw invalidParameterError(`feeds.${name}.data.length`, String(b * h * w * 3), feed.data.length);
  planNormalize(options);
  return pixelBatchShape(feed, options);
}

/** The shape of a pixel batch and options that expectPixelBatch already accepted (the engine worker trusts the pool's check). */
export function pixelBatchShape(feed: Tensor, options: Partial<NormalizeOptions>): PixelBatchShape {
  const [b, h, w] = feed.dims as [number, number, number, number];
  const dtype = options.dtype ?? DEFAULT_NORMALIZE.dtype;
  return { batchSize: b, size: { width: w, height: h }, dtype, dims: [b, 3, h, w] };
}

/** Normalises every slot of `pixels` (already checked) into `dst`, which holds at least B*3*H*W elements. */
export function normalizePixelBatch(
  pixels: Uint8Array,
  shape: PixelBatchShape,
  dst: Float32Array | Uint16Array,
  options: Partial<NormalizeOptions>,
  normalizer: Normalizer,
): void {
  const slot = 3 * shape.size.width * shape.size.height;
  for (let i = 0; i < shape.batchSize; i++) {
    normalizer.normalizeInto(pixels.subarray(i * slot, (i + 1) * slot), shape.size, dst, i * slot, options);
  }
}

// Assembling a float batch on the calling thread. Padding slots are zero rather than the
// normalised pad colour: their outputs are dropped by splitBatch, and zeros cannot depend on
// options. A fresh typed array (zero-filled by the platform) per batch, so it can be transferred
// to the engine worker.

export interface AssembleOptions {
  /** Hot paths pass a long-lived one. @default a fresh createNormalizer() (one WASM instantiation) */
  readonly normalizer?: Normalizer;
}

/**
 * Each item normalised straight into its slot of one batch tensor. Trusts its arguments, as
 * packBatch does; `normalize` is checked by the normalizer, once per options object.
 */
export function assembleBatch(
  items: readonly BatchItem[],
  allowed: readonly number[],
  normalize: Partial<NormalizeOptions>,
  options: AssembleOptions = {},
): AssembledBatch {
  const normalizer = options.normalizer ?? createNormalizer();
  const batchSize = pickBatchSize(items.length, allowed);
  const { width, height } = items[0]!.size;
  const dtype = normalize.dtype ?? DEFAULT_NORMALIZE.dtype;
  const slot = 3 * width * height;
  const tensor = createBatchTensor(batchSize, [3, height, width], dtype);
  items.forEach((item, i) => normalizer.normalizeInto(item.pixels, item.size, tensor.data as Float32Array | Uint16Array, i * slot, normalize));
  return { tensor, batchSize, count: items.length };
}

export type BatchDType = 'float32' | 'float16';

/**
 * [batchSize, c, h, w]; float16 holds IEEE half bits in a Uint16Array. Padding slots are zeros.
 * Trusts its arguments: a size pickBatchSize chose, and the model input's dims and dtype, checked
 * when the model loaded.
 */
export function createBatchTensor(batchSize: number, chw: readonly [number, number, number], dtype: BatchDType): Tensor {
  const n = batchSize * chw[0] * chw[1] * chw[2];
  const data = dtype === 'float16' ? new Uint16Array(n) : new Float32Array(n);
  return { dtype, dims: [batchSize, chw[0], chw[1], chw[2]], data };
}

// Splitting outputs: subarray views, no copy.

/**
 * Views of the first `count` items of one model output; slots past `count` are batch padding and
 * are dropped. `count` is the batch's item count (trusted). The output is the model's: an output
 * whose first dimension cannot hold `count` items (no batch dimension, or a fixed smaller one)
 * is a MODEL_MISMATCH here, rather than views past its end that decode as nothing.
 */
export function splitBatch(output: Tensor, count: number): Tensor[] {
  if (count > (output.dims[0] ?? 0)) {
    throw new DetectError('MODEL_MISMATCH', `a model output has dims [${output.dims.join(', ')}]: its first (batch) dimension holds fewer than the ${count} items the batch ran`);
  }
  return Array.from({ length: count }, (_, i) => itemView(output, i));
}

/** Item `index` along dim 0 as a view with dims [1, ...rest]: the model's batch-1 output shape. Trusts `index` < dims[0]. */
export function itemView(output: Tensor, index: number): Tensor {
  const per = output.data.length / output.dims[0]!;
  const data = output.data.subarray(index * per, (index + 1) * per);
  return { dtype: output.dtype, dims: [1, ...output.dims.slice(1)], data };
}
