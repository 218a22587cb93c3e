import { describe, expect, it } from 'vitest';
import type { Tensor } from '../ports/index.js';
import { end2endDecoder } from './index.js';

const rows = (items: number[][][]): Tensor => ({
  dtype: 'float32',
  dims: [items.length, items[0]!.length, 6],
  data: Float32Array.from(items.flat(2)),
});

const e2eOutputs = {
  output0: rows([
    [
      [1, 2, 30, 40, 0.9, 0],
      [5, 6, 70, 80, 0.25, 2], // not strictly above 0.25
      [7, 8, 9, 10, 0.5, 2.9999], // class ids arrive as floats
      [0, 0, 0, 0, 0, 0], // padding rows score 0
    ],
    [
      [11, 12, 13, 14, 0.7, 5],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ],
  ]),
};

describe('end2end decoder', () => {
  it('keeps rows above conf with boxes as given', () => {
    const c = end2endDecoder.decode(e2eOutputs, 0, { conf: 0.25 });
    expect(c.count).toBe(2);
    expect(Array.from(c.boxes)).toEqual([1, 2, 30, 40, 7, 8, 9, 10]);
    expect(Array.from(c.scores)).toEqual([0.9, 0.5].map(Math.fround));
    expect(Array.from(c.classIds)).toEqual([0, 3]);
  });

  it('applies the class filter and reads batch item 1', () => {
    expect(Array.from(end2endDecoder.decode(e2eOutputs, 0, { conf: 0.25, classes: [3] }).classIds)).toEqual([3]);
    const c = end2endDecoder.decode(e2eOutputs, 1, { conf: 0.25 });
    expect(Array.from(c.boxes)).toEqual([11, 12, 13, 14]);
    expect(Array.from(c.classIds)).toEqual([5]);
  });
});
