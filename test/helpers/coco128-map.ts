/**
 * mAP of a served model on coco128, through the same path as `detectfn eval`
 * (ModelService.detect -> core/map), at the val setting (conf 0.001, iou 0.7, max_det 300)
 * unless told otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { evaluateMap, type MapResult, parseYoloLabels } from '../../core/map.js';
import { collectImages } from '../../handlers/cli/images.js';
import type { DetectOptions } from '../../core/options.js';
import { detectFiles, EVAL_DEFAULTS } from '../../handlers/cli/images.js';
import type { ModelService } from '../../infra/model/registry.js';
import { COCO128 } from './shared-data.js';

export const coco128Files = (): string[] => collectImages([COCO128.images()]);

export async function coco128Map(model: ModelService, files = coco128Files(), options: DetectOptions = EVAL_DEFAULTS): Promise<MapResult> {
  const results = await detectFiles(model, files, options);
  const images = results.map((r, i) => {
    const file = path.join(COCO128.labels(), path.basename(files[i]!).replace(/\.[^.]+$/, '.txt'));
    return { predictions: r.detections, labels: existsSync(file) ? parseYoloLabels(readFileSync(file, 'utf8'), r.image, file) : [] };
  });
  return evaluateMap(images);
}
