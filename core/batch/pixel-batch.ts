/**
 * @module core/batch/pixel-batch
 * The engine's half of engine-side normalisation: checks a uint8 [B, H, W, 3] pixel batch and
 * its options once, where the run enters the engine, then normalises it slot by slot into a
 * [B, 3, H, W] float tensor the engine owns (and reuses, so it is never page-faulted again).
 */
import type { Tensor } from '../ports/index.js';
import type { Size } from '../types.js';
import { planNormalize, type NormalizeDType, type NormalizeOptions, type Normalizer } from '../normalize/index.js';
import { expectInteger, invalidParameterError } from '../validate/index.js';

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
  const [b, h, w] = dims.map((d, i) => expectInteger(`feeds.${name}.dims[${i}]`, d, 1)) as [number, number, number];
  if (feed.data.length !== b * h * w * 3) throw invalidParameterError(`feeds.${name}.data.length`, String(b * h * w * 3), feed.data.length);
  return pixelBatchShape(feed, options);
}

/** The shape of a pixel batch that expectPixelBatch already accepted (the engine worker trusts the pool's check). */
export function pixelBatchShape(feed: Tensor, options: Partial<NormalizeOptions>): PixelBatchShape {
  const [b, h, w] = feed.dims as [number, number, number, number];
  const { dtype } = planNormalize(options);
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
