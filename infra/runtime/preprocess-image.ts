/**
 * @module infra/runtime/preprocess-image
 * The inspector's half of a model: the EXACT tensor the engine receives for one image, without
 * running the model. Same decoder, same plan (letterbox or crop, infra/runtime/image-plans), and the same normalisation call the
 * engine worker makes (core/batch normalizePixelBatch with the options `normalizeOptions`
 * builds for batched inference), for a batch of one. Nothing here reimplements a step.
 */
import { performance } from 'node:perf_hooks';
import { normalizePixelBatch, pixelBatchShape } from '../../core/batch/index.js';
import { createNormalizer, type NormalizeOptions } from '../../core/normalize/index.js';
import { channelStats, describeSteps, planView, type ChannelStats, type InverseSpec, type PlanView, type PreprocessStep } from '../../core/preprocess/index.js';
import type { Size } from '../../core/types.js';
import type { SharpDecoder } from '../image/index.js';
import type { ModelManifest } from '../manifest/index.js';
import { imagePlanFor, inputSizeOf } from './image-plans.js';

export interface PreprocessedImage {
  readonly model: string;
  readonly version: string;
  readonly plan: PlanView;
  readonly steps: readonly PreprocessStep[];
  readonly tensor: {
    readonly name: string;
    readonly dtype: 'float32' | 'float16';
    /** [1, 3, H, W] */
    readonly shape: readonly number[];
    /** float16 as IEEE half bits, as the engine gets it. */
    readonly data: Float32Array | Uint16Array;
    readonly channels: readonly ChannelStats[];
  };
  /** How `tensor` becomes an 8-bit image again (see core/preprocess/view). */
  readonly inverse: InverseSpec;
  readonly timings: { readonly decode: number; readonly preprocess: number };
}

/** The normaliser options of a manifest: what batched inference sends the engine and warmup uses. */
export function normalizeOptions(manifest: ModelManifest): Partial<NormalizeOptions> {
  return {
    scale: manifest.preprocess.scale,
    ...(manifest.preprocess.mean ? { mean: manifest.preprocess.mean } : {}),
    ...(manifest.preprocess.std ? { std: manifest.preprocess.std } : {}),
    sourceOrder: 'rgb',
    modelOrder: manifest.preprocess.channelOrder,
  };
}

/**
 * The inverse for the view: with no mean/std and an expected input range [lo, hi], that range
 * maps to 0..255, so a tensor on the wrong scale shows white or black; otherwise the manifest's
 * own constants are undone.
 */
function inverseFor(manifest: ModelManifest, expected: readonly [number, number] | undefined): InverseSpec {
  const { scale, mean, std, channelOrder } = manifest.preprocess;
  if (expected && !mean && !std) return { scale: (expected[1] - expected[0]) / 255, mean: [-expected[0], -expected[0], -expected[0]], channelOrder };
  return { scale, mean, std, channelOrder };
}

export type Preprocessor = (bytes: Uint8Array) => Promise<PreprocessedImage>;

export function createPreprocessor(manifest: ModelManifest, decoder: SharpDecoder, expectedRange?: readonly [number, number]): Preprocessor {
  const size: Size = inputSizeOf(manifest);
  const planFor = imagePlanFor(manifest);
  const dtype = manifest.input.dtype as 'float32' | 'float16';
  const options = { ...normalizeOptions(manifest), dtype };
  const normalizer = createNormalizer();
  const inverse = inverseFor(manifest, expectedRange);
  return async (bytes) => {
    const decoded = await decoder.decode(bytes, planFor, manifest.decode);
    const t0 = performance.now();
    const pixels = { dtype: 'uint8' as const, dims: [1, size.height, size.width, 3], data: decoded.pixels };
    const shape = pixelBatchShape(pixels, options);
    const data = dtype === 'float16' ? new Uint16Array(3 * size.width * size.height) : new Float32Array(3 * size.width * size.height);
    normalizePixelBatch(decoded.pixels, shape, data, options, normalizer);
    const preprocess = performance.now() - t0;
    const plan = planView(decoded.plan);
    const spec = { kernel: decoder.options.resize, channelOrder: manifest.preprocess.channelOrder, scale: manifest.preprocess.scale, mean: manifest.preprocess.mean, std: manifest.preprocess.std, dtype };
    return {
      model: manifest.name,
      version: manifest.version,
      plan,
      steps: describeSteps(plan, spec),
      tensor: { name: manifest.input.name, dtype, shape: shape.dims, data, channels: channelStats(data, shape.dims) },
      inverse,
      timings: { decode: decoded.decodeMs, preprocess },
    };
  };
}
