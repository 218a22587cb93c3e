/**
 * @module handlers/cli/detect-command
 * `detectfn detect --model M [--conf --iou --max-det] IMAGES_OR_DIRS... [--out F.json]`:
 * detections for every image as JSON, to --out or stdout.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_DETECT_OPTIONS } from '../../core/options/index.js';
import type { DetectResult } from '../../infra/runtime/model-service.js';
import { integerFlag, numberFlag, parseCommand, requiredFlag, stringFlag, UsageError } from './args.js';
import { collectImages } from './images.js';
import { openModel } from './open-model.js';
import { createProgress } from './progress.js';
import { detectFiles } from './run-images.js';

export const DETECT_FLAGS = {
  model: { type: 'string', short: 'm' },
  conf: { type: 'string' },
  iou: { type: 'string' },
  'max-det': { type: 'string' },
  out: { type: 'string', short: 'o' },
} as const;

export function detectJson(files: readonly string[], results: readonly DetectResult[]) {
  return {
    images: results.map((r, i) => ({
      image: path.basename(files[i]),
      width: r.image.width,
      height: r.image.height,
      detections: r.detections.map((d) => ({ box: d.box, score: d.score, classId: d.classId, label: d.label })),
    })),
  };
}

export async function detectCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, DETECT_FLAGS);
  const modelPath = requiredFlag(values, 'model');
  const options = {
    conf: numberFlag(values, 'conf', 0, 1, DEFAULT_DETECT_OPTIONS.conf),
    iou: numberFlag(values, 'iou', 0, 1, DEFAULT_DETECT_OPTIONS.iou),
    maxDet: integerFlag(values, 'max-det', 1, 10000, DEFAULT_DETECT_OPTIONS.maxDet),
  };
  if (positionals.length === 0) throw new UsageError('detect needs at least one image or directory');
  const files = collectImages(positionals);
  const out = stringFlag(values, 'out');
  const { model, registry } = await openModel(modelPath);
  const progress = createProgress(files.length, 'detect');
  try {
    const results = await detectFiles(model, files, options, progress.tick);
    progress.stop();
    const text = JSON.stringify(detectJson(files, results)) + '\n';
    if (out !== undefined) await writeFile(out, text);
    else process.stdout.write(text);
  } finally {
    progress.stop();
    await registry.close();
  }
}
