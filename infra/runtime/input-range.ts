/**
 * @module infra/runtime/input-range
 * The HRNet lesson ("check the input's value range first"), applied at load: one synthetic
 * black/white image goes through the model's real preprocessing, its tensor's range is logged,
 * and a range outside what the model expects stops start-up (MODEL_MISMATCH: permanent, never
 * retried). What it expects comes from the manifest's `input.range`, else from Ultralytics
 * metadata (its exports are trained on /255 pixels: 0..1), else it is not known.
 */
import { DetectError } from '../../core/errors/index.js';
import { significant } from '../../core/math/index.js';
import { tensorRange } from '../../core/preprocess/index.js';
import { encodeRgbPng } from '../image/index.js';
import type { Logger } from '../log/index.js';
import type { ModelManifest } from '../manifest/index.js';
import { parseUltralyticsMetadata, type ModelInfo } from '../onnx/index.js';
import type { Preprocessor } from './preprocess-image.js';

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
