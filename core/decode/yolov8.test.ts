import { describe, expect, it } from 'vitest';
import type { Tensor } from '../ports/index.js';
import { yolov8Decoder } from './index.js';

/** [B, 4+nc, N] from per-item anchor lists: each anchor is [cx, cy, w, h, ...classScores]. */
function yolov8Tensor(items: number[][][]): Tensor {
  const b = items.length, n = items[0]!.length, rows = items[0]![0]!.length;
  const data = new Float32Array(b * rows * n);
  items.forEach((anchors, i) => anchors.forEach((a, j) => a.forEach((v, r) => (data[i * rows * n + r * n + j] = v))));
  return { dtype: 'float32', dims: [b, rows, n], data };
}

const item0 = [
  [100, 50, 20, 10, 0.9, 0.1, 0.0], // class 0 at 0.9
  [200, 60, 40, 20, 0.2, 0.3, 0.6], // class 2 at 0.6
  [300, 70, 10, 10, 0.1, 0.25, 0.2], // best 0.25: not strictly above conf 0.25
  [400, 80, 10, 10, 0.05, 0.5, 0.45], // class 1 at 0.5
];
const item1 = [
  [10, 10, 2, 2, 0.0, 0.0, 0.0],
  [20, 20, 4, 8, 0.0, 0.8, 0.0],
  [30, 30, 2, 2, 0.0, 0.0, 0.0],
  [40, 40, 2, 2, 0.0, 0.0, 0.3],
];
const outputs = { output0: yolov8Tensor([item0, item1]) };

describe('yolov8 decoder', () => {
  it('takes the best class per anchor, converts cxcywh to xyxy and keeps anchor order', () => {
    const c = yolov8Decoder.decode(outputs, 0, { conf: 0.25 });
    expect(c.count).toBe(3);
    expect(Array.from(c.boxes)).toEqual([90, 45, 110, 55, 180, 50, 220, 70, 395, 75, 405, 85]);
    expect(Array.from(c.scores)).toEqual([0.9, 0.6, 0.5].map(Math.fround));
    expect(Array.from(c.classIds)).toEqual([0, 2, 1]);
  });

  it('reads batch item 1 from its own slice', () => {
    const c = yolov8Decoder.decode(outputs, 1, { conf: 0.25 });
    expect(Array.from(c.classIds)).toEqual([1, 2]);
    expect(Array.from(c.boxes.subarray(0, 4))).toEqual([18, 16, 22, 24]);
    expect(Array.from(c.scores)).toEqual([0.8, 0.3].map(Math.fround));
  });

  it('filters classes after choosing the best class, as Ultralytics does', () => {
    const c = yolov8Decoder.decode(outputs, 0, { conf: 0.25, classes: [1, 2] });
    // anchor 0 (best class 0) is dropped, not demoted to class 1 at 0.1.
    expect(Array.from(c.classIds)).toEqual([2, 1]);
    expect(yolov8Decoder.decode(outputs, 0, { conf: 0.25, classes: [] }).count).toBe(0);
  });

  it('keeps everything above a low threshold', () => {
    expect(yolov8Decoder.decode(outputs, 0, { conf: 0.001 }).count).toBe(4);
    expect(yolov8Decoder.decode(outputs, 0, { conf: 0.95 }).count).toBe(0);
  });

  it('compares with conf exactly, although float32(0.001) is above 0.001', () => {
    const just = Math.fround(0.001); // 0.0010000000474974513
    const t = yolov8Tensor([[[1, 1, 2, 2, just, 0.0005]]]);
    expect(yolov8Decoder.decode({ output0: t }, 0, { conf: 0.001 }).count).toBe(1);
    expect(yolov8Decoder.decode({ output0: t }, 0, { conf: just }).count).toBe(0);
  });

  it('scans tails when the anchor count is not a multiple of 4', () => {
    const anchors = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((s, i) => [i, i, 1, 1, s, 1 - s]);
    const c = yolov8Decoder.decode({ output0: yolov8Tensor([anchors]) }, 0, { conf: 0.45 });
    // Anchor 4 ties at 0.5: the first class reaching the max wins, as argmax does.
    expect(Array.from(c.classIds)).toEqual([1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(c.scores)).toEqual([0.9, 0.8, 0.7, 0.6, 0.5, 0.6, 0.7].map((v) => Math.fround(v)));
  });
});
