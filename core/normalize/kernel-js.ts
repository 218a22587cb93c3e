/**
 * @module core/normalize/kernel-js
 * The plain-JS kernel: a 256-entry table per channel (a uint8 channel has only 256 possible
 * outputs), so float32 and float16 share one loop and match the WASM kernel bit for bit.
 */
import { toHalfBits } from './half.js';
import { normalizeValue } from './plan.js';
import type { NormalizePlan } from './types.js';

type Lut = Float32Array | Uint16Array;

export function buildLuts(plan: NormalizePlan): [Lut, Lut, Lut] {
  const build = (c: number): Lut => {
    const lut = plan.dtype === 'float16' ? new Uint16Array(256) : new Float32Array(256);
    const ch = plan.channels[c]!;
    for (let x = 0; x < 256; x++) {
      const v = normalizeValue(x, ch);
      lut[x] = plan.dtype === 'float16' ? toHalfBits(v) : v;
    }
    return lut;
  };
  return [build(0), build(1), build(2)];
}

/**
 * Pixels [first, first + count) of `src` (HWC, 3 channels) into planes of `pixels` elements
 * starting at `offset` in `dst`.
 */
export function normalizeRangeJs(
  src: Uint8Array,
  pixels: number,
  first: number,
  count: number,
  dst: Float32Array | Uint16Array,
  offset: number,
  plan: NormalizePlan,
  luts: readonly [Lut, Lut, Lut],
): void {
  const [l0, l1, l2] = luts;
  const o0 = offset + plan.channels[0].plane * pixels;
  const o1 = offset + plan.channels[1].plane * pixels;
  const o2 = offset + plan.channels[2].plane * pixels;
  const end = first + count;
  for (let p = first, i = first * 3; p < end; p++, i += 3) {
    dst[o0 + p] = l0[src[i]!]!;
    dst[o1 + p] = l1[src[i + 1]!]!;
    dst[o2 + p] = l2[src[i + 2]!]!;
  }
}
