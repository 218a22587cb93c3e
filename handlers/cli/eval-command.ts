/**
 * @module handlers/cli/eval-command
 * `detectfn eval --model M --images DIR --labels DIR [--conf 0.001 --iou 0.7 --max-det 300]`:
 * runs the model over a YOLO-format data set and prints mAP50 and mAP50-95 as `yolo val`
 * computes them (core/metrics). An image without a label file is a background image. mAP is a
 * detector's measure: a classifier is refused (WRONG_TASK) naming `detectfn classify`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { evaluateMap, parseYoloLabels, type MapResult } from '../../core/metrics/index.js';
import { integerFlag, numberFlag, parseCommand, requiredFlag, UsageError } from './args.js';
import { collectImages } from './images.js';
import { openModel } from './open-model.js';
import { createProgress } from './progress.js';
import { detectFiles } from './run-images.js';

/** Ultralytics' val defaults. */
export const EVAL_DEFAULTS = Object.freeze({ conf: 0.001, iou: 0.7, maxDet: 300 });

export const EVAL_FLAGS = {
  model: { type: 'string', short: 'm' },
  images: { type: 'string' },
  labels: { type: 'string' },
  conf: { type: 'string' },
  iou: { type: 'string' },
  'max-det': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export function formatMap(r: MapResult): string {
  return [
    `images ${r.images}  labels ${r.labels}  predictions ${r.predictions}  classes ${r.perClass.length}`,
    `mAP50 ${r.map50.toFixed(4)}`,
    `mAP50-95 ${r.map50_95.toFixed(4)}`,
  ].join('\n');
}

export async function evalCommand(argv: readonly string[]): Promise<MapResult> {
  const { values, positionals } = parseCommand(argv, EVAL_FLAGS);
  if (positionals.length > 0) throw new UsageError(`eval takes no positional arguments (got ${positionals[0]}); use --images DIR`);
  const modelPath = requiredFlag(values, 'model');
  const imagesDir = requiredFlag(values, 'images');
  const labelsDir = requiredFlag(values, 'labels');
  if (!existsSync(labelsDir)) throw new UsageError(`--labels: no such directory: ${labelsDir}`);
  const options = {
    conf: numberFlag(values, 'conf', 0, 1, EVAL_DEFAULTS.conf),
    iou: numberFlag(values, 'iou', 0, 1, EVAL_DEFAULTS.iou),
    maxDet: integerFlag(values, 'max-det', 1, 10000, EVAL_DEFAULTS.maxDet),
  };
  const files = collectImages([imagesDir]);
  const { model, registry } = await openModel(modelPath, 'detect');
  const progress = createProgress(files.length, 'eval');
  let results;
  try {
    results = await detectFiles(model, files, options, progress.tick);
  } finally {
    progress.stop();
    await registry.close();
  }
  const images = results.map((r, i) => {
    const file = path.join(labelsDir, path.basename(files[i]).replace(/\.[^.]+$/, '.txt'));
    const labels = existsSync(file) ? parseYoloLabels(readFileSync(file, 'utf8'), r.image, file) : [];
    return { predictions: r.detections, labels };
  });
  const map = evaluateMap(images);
  process.stdout.write((values.json === true ? JSON.stringify(map) : formatMap(map)) + '\n');
  return map;
}
