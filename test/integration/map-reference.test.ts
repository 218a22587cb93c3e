/**
 * The mAP metric against the published numbers: scoring the independent reference pipeline's
 * coco128 detections (conf 0.001) with core/map must give what Ultralytics val gives.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type EvalPrediction, evaluateMap, parseYoloLabels } from '../../core/map.js';
import { COCO128, REFERENCE } from '../helpers/shared-data.js';

interface RefImage {
  image: string;
  width: number;
  height: number;
  detections: EvalPrediction[];
}

describe('core/map on the coco128 reference detections', () => {
  it('gives mAP50 0.6038 and mAP50-95 0.4544', () => {
    const ref = JSON.parse(readFileSync(REFERENCE.valCoco128(), 'utf8')) as { images: RefImage[] };
    const images = ref.images.map((im) => {
      const file = path.join(COCO128.labels(), im.image.replace(/\.[^.]+$/, '.txt'));
      const labels = existsSync(file) ? parseYoloLabels(readFileSync(file, 'utf8'), im, file) : [];
      return { predictions: im.detections, labels };
    });
    const r = evaluateMap(images);
    expect(r.images).toBe(128);
    expect(r.labels).toBe(929);
    expect(r.map50.toFixed(4)).toBe('0.6038');
    expect(r.map50_95.toFixed(4)).toBe('0.4544');
  });
});
