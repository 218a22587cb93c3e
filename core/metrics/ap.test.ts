import { describe, expect, it } from 'vitest';
import { apPerClass, computeAp, interp } from './ap.js';

describe('interp (np.interp semantics)', () => {
  it('interpolates linearly and clamps outside the range', () => {
    expect(interp(0.25, [0, 0.5, 1], [1, 0.5, 0])).toBeCloseTo(0.75, 12);
    expect(interp(-1, [0, 1], [3, 4])).toBe(3);
    expect(interp(2, [0, 1], [3, 4])).toBe(4);
  });
  it('takes the last of a run of equal xp values, like numpy', () => {
    // np.interp(0, [0, 0, 0.5, 1], [1, 0.8, 0.6, 0]) == 0.8
    expect(interp(0, [0, 0, 0.5, 1], [1, 0.8, 0.6, 0])).toBe(0.8);
    expect(interp(0.5, [0, 0.5, 0.5, 1], [1, 0.9, 0.7, 0])).toBe(0.7);
  });
});

describe('computeAp (101-point interp)', () => {
  it('gives 0.995 for a perfect detector, as Ultralytics does', () => {
    expect(computeAp([0.5, 1], [1, 1])).toBeCloseTo(0.995, 12);
  });
  it('gives 0.75 for one hit out of two labels', () => {
    expect(computeAp([0.5], [1])).toBeCloseTo(0.75, 12);
  });
  it('uses the precision envelope', () => {
    // FP then TP: precision 0, 0.5 at recall 0, 1 -> envelope 0.5 everywhere but the end.
    expect(computeAp([0, 1], [0, 0.5])).toBeCloseTo(0.5 * 0.995, 12);
  });
});

describe('apPerClass', () => {
  it('ranks by confidence and ignores classes absent from the labels', () => {
    // class 0: one label; an FP scored above the TP. class 3: predicted but never labelled.
    const tp = new Uint8Array([1, 0, 0]);
    const { classes, ap } = apPerClass(tp, [0.5, 0.9, 0.8], [0, 0, 3], [0], 1);
    expect(classes).toEqual([0]);
    expect(ap[0][0]).toBeCloseTo(0.5 * 0.995, 12);
  });
  it('gives 0 to a labelled class with no predictions', () => {
    const { ap } = apPerClass(new Uint8Array(0), [], [], [1, 1], 2);
    expect(ap).toEqual([[0, 0]]);
  });
});
