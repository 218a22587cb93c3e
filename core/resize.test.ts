/**
 * @module core/resize.test
 * The cv2 INTER_LINEAR port: fixed-point tables and hand-computed resizes (the SIMD rounding
 * OpenCV 4.6 uses), the WebAssembly SIMD route against the JS reference on random sizes, and the
 * letterbox and crop executed on pixels.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type LetterboxPlan, planCrop } from './geometry.js';
import { axisTable, createLinearResizer, cropLinear, cropWindow, letterboxLinear, type Raster, resizeLinearInto } from './resize.js';

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

const raster = (width: number, height: number, channels: number, seed = 0): Raster => ({
  data: Uint8Array.from({ length: width * height * channels }, (_, i) => (Math.imul(i + 1, 2654435761 + seed) >>> 13) & 255),
  width,
  height,
  channels,
});

/** Resizes `src` into a 1-pixel-bordered region of a destination pre-filled with 7s, both ways. */
function both(src: Raster, width: number, height: number): [Uint8Array, Uint8Array] {
  const wasm = createLinearResizer({ route: 'wasm-simd' });
  const out = (): Raster => ({ data: new Uint8Array((width + 2) * (height + 2) * src.channels).fill(7), width: width + 2, height: height + 2, channels: src.channels });
  const a = out(), b = out();
  const region = { left: 1, top: 1, width, height };
  resizeLinearInto(src, a, region);
  wasm.resizeInto(src, b, region);
  return [a.data, b.data];
}

describe('createLinearResizer', () => {
  it('takes the WebAssembly SIMD route here, and the JS one on request', () => {
    expect(createLinearResizer().route).toBe('wasm-simd');
    expect(createLinearResizer({ route: 'js' }).route).toBe('js');
    expect(() => createLinearResizer({ route: 'gpu' as never })).toThrow(/Expected one of auto, wasm-simd, js for route/);
  });

  it('gives the JS reference bytes for any sizes, up and down, borders untouched', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 48 }), fc.integer({ min: 1, max: 48 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }), fc.nat(1000), (sw, sh, dw, dh, seed) => {
        const [js, wasm] = both(raster(sw, sh, 3, seed), dw, dh);
        expect(wasm).toEqual(js);
      }),
      { numRuns: 200 },
    );
  });

  it('matches on a camera-sized downscale (720p -> 640 wide) and reuses its memory when the width shrinks', () => {
    const [js, wasm] = both(raster(1280, 720, 3), 640, 360);
    expect(wasm).toEqual(js);
    const [js2, wasm2] = both(raster(31, 17, 3), 13, 40);
    expect(wasm2).toEqual(js2);
  });

  it('falls back to JS for other channel counts', () => {
    const [js, wasm] = both(raster(9, 5, 1), 4, 3);
    expect(wasm).toEqual(js);
  });

  it('letterboxLinear gives the same bytes with and without a resizer', () => {
    const src = raster(81, 108, 3);
    const plan: LetterboxPlan = {
      source: { width: 81, height: 108 }, resized: { width: 48, height: 64 }, target: { width: 64, height: 64 },
      scale: 64 / 108, pad: { left: 8, top: 0, right: 8, bottom: 0 }, padValue: 114,
    };
    expect(letterboxLinear(src, plan, createLinearResizer())).toEqual(letterboxLinear(src, plan));
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

describe('cropLinear', () => {
  const ramp = (width: number, height: number) => ({ data: Uint8Array.from({ length: width * height * 3 }, (_, i) => i % 251), width, height, channels: 3 });

  it('copies the window of an image already at the resized size, pad grey around it', () => {
    const plan = planCrop({ width: 6, height: 2 }, { size: { width: 4, height: 4 }, resize: 'shorter', resizeTo: 2, padValue: 7 });
    // w = int(2 * 6 / 2) = 6, left = round(1) = 1; h 2 < 4: one padded row above and below.
    const src = ramp(6, 2);
    const out = cropLinear(src, plan);
    expect(Array.from(out.subarray(0, 12))).toEqual(new Array(12).fill(7));
    expect(Array.from(out.subarray(12, 24))).toEqual(Array.from(src.data.subarray(3, 15)));
    expect(Array.from(out.subarray(24, 36))).toEqual(Array.from(src.data.subarray(21, 33)));
    expect(Array.from(out.subarray(36))).toEqual(new Array(12).fill(7));
  });

  it('refuses an image that is not at the plan\'s resized size', () => {
    const plan = planCrop({ width: 8, height: 8 }, { size: { width: 4, height: 4 }, resize: 'shorter', padValue: 0 });
    expect(() => cropWindow(ramp(8, 8), plan)).toThrow(RangeError);
  });
});
