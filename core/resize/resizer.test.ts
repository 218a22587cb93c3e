import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLinearResizer, letterboxLinear, resizeLinearInto, type Raster } from './index.js';
import type { LetterboxPlan } from '../letterbox/types.js';

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
