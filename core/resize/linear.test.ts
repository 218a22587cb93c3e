import { describe, expect, it } from 'vitest';
import type { LetterboxPlan } from '../letterbox/types.js';
import { axisTable, letterboxLinear, resizeLinearInto, type Raster } from './index.js';

const gray = (data: number[], width: number, height: number): Raster => ({ data: Uint8Array.from(data), width, height, channels: 1 });
const resize = (src: Raster, width: number, height: number): number[] => {
  const dst = gray(new Array(width * height).fill(0), width, height);
  resizeLinearInto(src, dst, { left: 0, top: 0, width, height });
  return [...dst.data];
};

describe('cv2 INTER_LINEAR, fixed point (hand-computed values)', () => {
  it('builds half-pixel tables: x edges reset to weight (2048, 0), y keeps raw weights', () => {
    const x = axisTable(2, 3, true);
    expect([...x.index0, ...x.weight0, ...x.weight1]).toEqual([0, 0, 1, 2048, 1024, 2048, 0, 1024, 0]);
    const y = axisTable(2, 3, false);
    // dy=0: f = 0.5*2/3 - 0.5 = -1/6 -> row -1 (clamped to 0), weights 1/6, 5/6.
    expect([...y.index0, ...y.index1, ...y.weight0, ...y.weight1]).toEqual([0, 0, 1, 0, 1, 1, 341, 1024, 1707, 1707, 1024, 341]);
  });

  it('halves by averaging pairs: (a + b) * 1024 -> ((v >> 4) * 2048 >> 16 + 2) >> 2', () => {
    expect(resize(gray([0, 100, 200, 50], 4, 1), 2, 1)).toEqual([50, 125]);
  });

  it('upscales 2 -> 3 with clamped edges', () => {
    expect(resize(gray([0, 90], 2, 1), 3, 1)).toEqual([0, 45, 90]);
    expect(resize(gray([10, 20], 1, 2), 1, 3)).toEqual([10, 15, 20]);
  });

  it('uses the SIMD rounding, not the scalar one', () => {
    // 1 -> 5 rows, dy=1: weights 1843/205 on rows [1, 6]. SIMD: (128*1843 >> 16) + (768*205 >> 16)
    // = 3 + 2, (5 + 2) >> 2 = 1. The scalar formula gives 2 (OpenCV 4.6 outputs 1).
    expect(resize(gray([1, 6], 1, 2), 1, 5)[1]).toBe(1);
    expect((2048 * 1843 + 6 * 2048 * 205 + (1 << 21)) >> 22).toBe(2);
  });
});

describe('letterboxLinear', () => {
  const plan = (src: number, resized: number, padLeft: number, padRight: number): LetterboxPlan => ({
    source: { width: src, height: 1 },
    resized: { width: resized, height: 1 },
    target: { width: resized + padLeft + padRight, height: 1 },
    scale: resized / src,
    pad: { left: padLeft, top: 0, right: padRight, bottom: 0 },
    padValue: 114,
  });

  it('pads with the pad grey and resizes into the slot', () => {
    expect([...letterboxLinear(gray([0, 100, 200, 50], 4, 1), plan(4, 2, 1, 2))]).toEqual([114, 50, 125, 114, 114]);
  });

  it('copies an image already at the resized size', () => {
    expect([...letterboxLinear(gray([7, 8], 2, 1), plan(2, 2, 1, 0))]).toEqual([114, 7, 8]);
  });

  it('overwrites a given buffer of the target length whole (nothing of its last image stays), and ignores one of another length', () => {
    const spent = new Uint8Array([1, 2, 3, 4, 5]);
    const out = letterboxLinear(gray([0, 100, 200, 50], 4, 1), plan(4, 2, 1, 2), undefined, spent);
    expect(out).toBe(spent);
    expect([...out]).toEqual([114, 50, 125, 114, 114]);
    const short = new Uint8Array(4);
    const fresh = letterboxLinear(gray([7, 8], 2, 1), plan(2, 2, 1, 0), undefined, short);
    expect(fresh).not.toBe(short);
    expect([...fresh]).toEqual([114, 7, 8]);
  });
});
