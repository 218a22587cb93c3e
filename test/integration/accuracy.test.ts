/**
 * The accuracy bar on real yolov8n and coco128, through the same path as `detectfn eval`
 * (createModelRegistry -> ModelService.detect -> core/map):
 * - mAP50-95 at the val setting (conf 0.001, iou 0.7, max_det 300) within 0.005 of 0.4544,
 *   the Ultralytics-style reference pipeline's score (cv2 INTER_LINEAR letterbox, OpenCV DNN);
 * - at conf 0.25, >= 95% of the reference's boxes have a same-class box of ours at IoU >= 0.9,
 *   and >= 95% of ours have one in the reference (one-to-one, best IoU first).
 * Numbers are printed so a failure says how far off it is.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boxIou, type EvalPrediction } from '../../core/map.js';
import { DEFAULT_DETECT_OPTIONS } from '../../core/options.js';
import { detectFiles } from '../../handlers/cli/images.js';
import { silentLogger } from '../../infra/config.js';
import { createModelRegistry } from '../../infra/model/registry.js';
import type { ModelRegistry, ModelService } from '../../infra/model/registry.js';
import { coco128Files, coco128Map } from '../helpers/coco128-map.js';
import { MODELS, REFERENCE } from '../helpers/shared-data.js';

type Det = EvalPrediction;
let registry: ModelRegistry, model: ModelService, files: string[];

beforeAll(async () => {
  registry = createModelRegistry({ models: [MODELS.yolov8n()], logger: silentLogger() });
  await registry.whenReady();
  model = registry.get(registry.names()[0]!);
  files = coco128Files();
});
afterAll(async () => registry?.close());

/** Fraction of `from` boxes with a distinct same-class partner in `to` at IoU >= minIou. */
function matchedFraction(from: readonly Det[][], to: readonly Det[][], minIou: number): { matched: number; total: number } {
  let matched = 0;
  let total = 0;
  from.forEach((boxes, i) => {
    const pairs: [number, number, number][] = [];
    boxes.forEach((a, ai) => to[i]!.forEach((b, bi) => {
      if (a.classId !== b.classId) return;
      const iou = boxIou(a.box, b.box);
      if (iou >= minIou) pairs.push([ai, bi, iou]);
    }));
    pairs.sort((x, y) => y[2] - x[2]);
    const usedA = new Set<number>(), usedB = new Set<number>();
    for (const [ai, bi] of pairs) {
      if (usedA.has(ai) || usedB.has(bi)) continue;
      usedA.add(ai);
      usedB.add(bi);
    }
    matched += usedA.size;
    total += boxes.length;
  });
  return { matched, total };
}

describe('yolov8n on coco128 against the reference pipeline', () => {
  it('scores mAP50-95 within 0.005 of 0.4544 (val setting)', async () => {
    const map = await coco128Map(model, files);
    console.log(`accuracy: mAP50 ${map.map50.toFixed(4)} (ref 0.6038), mAP50-95 ${map.map50_95.toFixed(4)} (ref 0.4544), ${map.predictions} predictions`);
    expect(map.images).toBe(128);
    expect(map.labels).toBe(929);
    expect(Math.abs(map.map50_95 - 0.4544)).toBeLessThanOrEqual(0.005);
  });

  it('matches >= 95% of the reference boxes at conf 0.25 (IoU >= 0.9, same class), both ways', async () => {
    const ref = JSON.parse(readFileSync(REFERENCE.predictCoco128(), 'utf8')) as { images: { image: string; detections: Det[] }[] };
    const byName = new Map(ref.images.map((im) => [im.image, im.detections]));
    const results = await detectFiles(model, files, DEFAULT_DETECT_OPTIONS);
    const theirs = files.map((f) => byName.get(path.basename(f)) ?? []);
    const ours = results.map((r) => r.detections);
    const refSide = matchedFraction(theirs, ours, 0.9);
    const ourSide = matchedFraction(ours, theirs, 0.9);
    console.log(`accuracy: reference boxes matched ${refSide.matched}/${refSide.total} (${((100 * refSide.matched) / refSide.total).toFixed(1)}%), ours matched ${ourSide.matched}/${ourSide.total} (${((100 * ourSide.matched) / ourSide.total).toFixed(1)}%)`);
    expect(theirs.flat().length).toBeGreaterThan(0);
    expect(refSide.matched / refSide.total).toBeGreaterThanOrEqual(0.95);
    expect(ourSide.matched / ourSide.total).toBeGreaterThanOrEqual(0.95);
  });
});
