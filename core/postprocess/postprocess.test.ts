import { describe, expect, it } from 'vitest';
import { end2endDecoder, yolov8Decoder } from '../decode/index.js';
import { planLetterbox } from '../letterbox/index.js';
import { DEFAULT_DETECT_OPTIONS, parseDetectOptions } from '../options/index.js';
import type { Tensor } from '../ports/index.js';
import { postprocessItem } from './index.js';

/** [1, 4+nc, N] yolov8 output from anchors [cx, cy, w, h, ...scores]. */
function yolov8(anchors: number[][]): Tensor {
  const n = anchors.length, rows = anchors[0]!.length;
  const data = new Float32Array(rows * n);
  anchors.forEach((a, j) => a.forEach((v, r) => (data[r * n + j] = v)));
  return { dtype: 'float32', dims: [1, rows, n], data };
}

const plan = planLetterbox({ width: 640, height: 640 }); // identity: scale 1, no padding
const anchors = [
  [100, 100, 50, 50, 0.9, 0.0], // person
  [102, 101, 50, 50, 0.8, 0.0], // same person again: suppressed
  [104, 100, 50, 50, 0.0, 0.7], // same place, other class: kept unless agnostic
  [400, 400, 20, 20, 0.6, 0.0],
  [500, 500, 20, 20, 0.2, 0.0], // below conf
];
const outputs = { output0: yolov8(anchors) };
const labels = ['person', 'car'];

describe('postprocessItem', () => {
  it('decodes, suppresses, and returns labelled source-pixel detections by score', () => {
    const dets = postprocessItem(outputs, 0, plan, { decoder: yolov8Decoder, labels, options: DEFAULT_DETECT_OPTIONS });
    expect(dets.map((d) => [d.label, d.box])).toEqual([
      ['person', [75, 75, 125, 125]],
      ['car', [79, 75, 129, 125]],
      ['person', [390, 390, 410, 410]],
    ]);
    expect(dets.map((d) => d.score)).toEqual([0.9, 0.7, 0.6].map(Math.fround));
  });

  it('honours agnostic, classes, conf and maxDet', () => {
    const run = (raw: Record<string, unknown>) =>
      postprocessItem(outputs, 0, plan, { decoder: yolov8Decoder, labels, options: parseDetectOptions(raw) }).map((d) => d.score);
    expect(run({ agnostic: 'true' })).toEqual([0.9, 0.6].map(Math.fround));
    expect(run({ classes: '1' })).toEqual([Math.fround(0.7)]);
    expect(run({ conf: 0.1 })).toHaveLength(4);
    expect(run({ maxDet: 1 })).toEqual([Math.fround(0.9)]);
  });

  it('checks the manifest class count against the output', () => {
    const ctx = { decoder: yolov8Decoder, labels, options: DEFAULT_DETECT_OPTIONS, numClasses: 80 };
    expect(() => postprocessItem(outputs, 0, plan, ctx)).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }));
  });

  it('skips NMS for end-to-end models and keeps the maxDet best', () => {
    const rows = [
      [0, 0, 10, 10, 0.5, 0],
      [0, 0, 10, 10, 0.9, 0], // identical box, same class: NMS would drop one
      [0, 0, 10, 10, 0.7, 0],
    ];
    const e2e = { output0: { dtype: 'float32', dims: [1, 3, 6], data: Float32Array.from(rows.flat()) } as Tensor };
    const options = parseDetectOptions({ maxDet: 2 });
    const dets = postprocessItem(e2e, 0, plan, { decoder: end2endDecoder, labels, options });
    expect(dets.map((d) => d.score)).toEqual([0.9, 0.7].map(Math.fround));
  });
});
