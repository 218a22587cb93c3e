import { describe, expect, it } from 'vitest';
import type { Tensor } from '../ports/index.js';
import { yolov5Decoder } from './index.js';

/** [B, N, 5+nc] from rows [cx, cy, w, h, obj, ...classScores]. */
const yolov5Tensor = (items: number[][][]): Tensor => ({
  dtype: 'float32',
  dims: [items.length, items[0]!.length, items[0]![0]!.length],
  data: Float32Array.from(items.flat(2)),
});

const v5Item0 = [
  [100, 50, 20, 10, 0.9, 0.5, 1.0], // 0.9 * 1.0 = 0.9, class 1
  [200, 60, 40, 20, 0.2, 1.0, 0.0], // obj 0.2 fails the first (objectness) test
  [300, 70, 10, 10, 0.5, 0.4, 0.2], // 0.5 * 0.4 = 0.2 fails the second test
  [400, 80, 10, 10, 0.6, 0.9, 0.1], // 0.6 * 0.9 = 0.54, class 0
];
const v5Item1 = [
  [10, 10, 2, 2, 0.0, 0.0, 0.0],
  [10, 10, 2, 2, 0.0, 0.0, 0.0],
  [10, 10, 2, 2, 0.0, 0.0, 0.0],
  [20, 20, 4, 8, 1.0, 0.0, 0.7],
];
const v5Outputs = { output0: yolov5Tensor([v5Item0, v5Item1]) };

describe('yolov5 decoder', () => {
  it('scores obj * best class after an objectness pre-filter', () => {
    const c = yolov5Decoder.decode(v5Outputs, 0, { conf: 0.25 });
    expect(c.count).toBe(2);
    expect(Array.from(c.boxes)).toEqual([90, 45, 110, 55, 395, 75, 405, 85]);
    expect(Array.from(c.scores)).toEqual([Math.fround(0.9 * 1.0), Math.fround(Math.fround(0.6) * Math.fround(0.9))]);
    expect(Array.from(c.classIds)).toEqual([1, 0]);
  });

  it('reads batch item 1 from its own slice', () => {
    const c = yolov5Decoder.decode(v5Outputs, 1, { conf: 0.25 });
    expect(Array.from(c.boxes)).toEqual([18, 16, 22, 24]);
    expect(Array.from(c.classIds)).toEqual([1]);
  });

  it('filters classes after choosing the best class', () => {
    expect(Array.from(yolov5Decoder.decode(v5Outputs, 0, { conf: 0.25, classes: [0] }).classIds)).toEqual([0]);
    expect(yolov5Decoder.decode(v5Outputs, 0, { conf: 0.25, classes: [5] }).count).toBe(0);
  });
});
