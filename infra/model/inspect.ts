/**
 * @module infra/model/inspect
 * A model's preprocessing as something to look at: the geometry its manifest asks for (a
 * detector's letterbox, a classifier's resize + centre crop), the EXACT tensor the engine would
 * receive for one image (the inspector, POST /v1/models/{m}/preprocess and `detectfn inspect`),
 * and the start-up check that this tensor spans the range the model expects.
 *
 * Nothing here reimplements a step: the inspector runs the serving decoder with the same plan,
 * then the same normalisation call the engine worker makes (core/batch normalizePixelBatch with
 * `normalizeOptions`) for a batch of one, so what it shows is what serving does.
 */
import { normalizePixelBatch, pixelBatchShape } from '../../core/batch.js';
import { DetectError } from '../../core/errors.js';
import { type CropOptions, type CropPlan, type LetterboxOptions, type LetterboxPlan, planCrop, planLetterbox, significant, type Size } from '../../core/geometry.js';
import { channelStats, type ChannelStats, describeSteps, type InverseSpec, planView, type PlanView, type PreprocessStep, tensorRange } from '../../core/inspect.js';
import { createNormalizer, type NormalizeOptions } from '../../core/normalize.js';
import type { Logger } from '../config.js';
import type { SharpDecoder } from '../image/decoder.js';
import { encodeRgbPng } from '../image/render.js';
import { type ModelInfo, parseUltralyticsMetadata } from '../onnx/model-info.js';
import type { ModelManifest } from './manifest.js';

// The manifest's geometry, one place for serving and the inspector alike.

export function inputSizeOf(manifest: ModelManifest): Size {
  const [, , height, width] = manifest.input.shape as readonly number[];
  return { width: width!, height: height! };
}

export function letterboxOptionsOf(manifest: ModelManifest): Partial<LetterboxOptions> & { size: Size } {
  return { ...manifest.preprocess.letterbox, size: inputSizeOf(manifest) };
}

export function cropOptionsOf(manifest: ModelManifest): CropOptions {
  return {
    size: inputSizeOf(manifest),
    resize: manifest.preprocess.resize.mode,
    ...(manifest.preprocess.resize.size !== undefined ? { resizeTo: manifest.preprocess.resize.size } : {}),
    padValue: manifest.preprocess.crop.padValue,
  };
}

/** The plan serving makes for this manifest's task. */
export function imagePlanFor(manifest: ModelManifest): (source: Size) => LetterboxPlan | CropPlan {
  if (manifest.task === 'classify') {
    const crop = cropOptionsOf(manifest);
    return (source) => planCrop(source, crop);
  }
  const letterbox = letterboxOptionsOf(manifest);
  return (source) => planLetterbox(source, letterbox);
}

// The inspector: the engine's input for one image, without running the model.
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
  /** How `tensor` becomes an 8-bit image again (core/inspect tensorToRgb). */
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

// The HRNet lesson ("check the input's value range first"), applied at load: one synthetic
// black/white image goes through the model's real preprocessing, its tensor's range is logged,
// and a range outside what the model expects stops start-up (MODEL_MISMATCH: permanent, never
// retried). What it expects comes from the manifest's `input.range`, else from Ultralytics
// metadata (its exports are trained on /255 pixels: 0..1), else it is not known.
const fmt = (x: number) => significant(x, 4);

export interface ExpectedRange {
  readonly range: readonly [number, number];
  /** Where it comes from, for the error and the log. */
  readonly source: string;
}

export function expectedInputRange(manifest: ModelManifest, info: ModelInfo): ExpectedRange | undefined {
  if (manifest.input.range) return { range: manifest.input.range, source: `the manifest's input.range [${manifest.input.range.join(', ')}]` };
  const md = parseUltralyticsMetadata(info.metadata);
  if (md.names || md.imgsz || md.task) return { range: [0, 1], source: 'the model\'s Ultralytics metadata (YOLO models expect 0-1)' };
  return undefined;
}

/** Left half black, right half white: the extremes every channel can reach. */
async function syntheticImage(): Promise<Uint8Array> {
  const w = 64, h = 48;
  const px = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) px.fill(255, (y * w + w / 2) * 3, (y + 1) * w * 3);
  return encodeRgbPng(px, w, h);
}

export async function checkInputRange(manifest: ModelManifest, preprocess: Preprocessor, expected: ExpectedRange | undefined, log: Logger): Promise<void> {
  const result = await preprocess(await syntheticImage());
  const [lo, hi] = tensorRange(result.tensor.channels);
  log.info({ inputRange: [lo, hi], expected: expected?.range ?? null, channels: result.tensor.channels }, 'warmup input range (synthetic black/white image)');
  if (!expected) return;
  const [elo, ehi] = expected.range;
  const slack = 1e-3 * (ehi - elo);
  if (lo >= elo - slack && hi <= ehi + slack) return;
  const p = manifest.preprocess;
  const settings = `preprocess.scale ${p.scale}${p.mean ? `, mean [${p.mean.join(', ')}]` : ''}${p.std ? `, std [${p.std.join(', ')}]` : ''}`;
  throw new DetectError(
    'MODEL_MISMATCH',
    `model ${manifest.name}: the preprocessed input spans ${fmt(lo)} to ${fmt(hi)} (a black/white test image through ${settings}) but ${expected.source} says ${fmt(elo)} to ${fmt(ehi)}`,
  );
}
