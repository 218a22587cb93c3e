import { describe, expect, it } from 'vitest';
import { toHalfBits, fromHalfBits } from '../normalize/index.js';
import { compareTensors, type Chw } from './compare.js';

const H = 24, W = 32, P = H * W;

/** A letterbox-like CHW tensor in 0..1: grey 114 bands top and bottom, distinct content per channel. */
function letterboxed(): Chw {
  const data = new Float32Array(3 * P);
  let seed = 7;
  for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const v = y < 4 || y >= H - 4 ? 114 : (x * 7 + y * (3 + c) + (seed >>> 28) + c * 40) % 256;
    data[c * P + y * W + x] = Math.fround(v / 255);
  }
  return { dims: [3, H, W], data };
}

const map = (t: Chw, f: (v: number, c: number, y: number, x: number) => number): Chw => {
  const data = new Float32Array(t.data.length);
  for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[c * P + y * W + x] = f(t.data[c * P + y * W + x]!, c, y, x);
  return { dims: t.dims, data };
};
const at = (t: Chw, c: number, y: number, x: number) => t.data[c * P + Math.min(H - 1, Math.max(0, y)) * W + Math.min(W - 1, Math.max(0, x))]!;

describe('compareTensors verdicts', () => {
  const ours = letterboxed();

  it('says match for the same tensor, and for a float16 copy of it', () => {
    expect(compareTensors(ours, ours)).toMatchObject({ match: true, verdicts: [expect.stringMatching(/^match: max abs difference 0 /)] });
    const half = map(ours, (v) => fromHalfBits(toHalfBits(v)));
    expect(compareTensors(ours, half).match).toBe(true);
  });

  it('names a missing /255 on our side, and the reverse', () => {
    const ours255 = map(ours, (v) => Math.round(v * 255));
    const r = compareTensors(ours255, ours);
    expect(r.match).toBe(false);
    expect(r.verdicts).toEqual([expect.stringMatching(/^values span 0-255 where the reference spans 0-1: a \/255 is missing$/)]);
    expect(compareTensors(ours, ours255).verdicts).toEqual([expect.stringMatching(/^values span 0-1 where the reference spans 0-255: the reference has no \/255/)]);
  });

  it('names a missing /255 on a solid colour too (a flat channel cannot tell a scale from an offset)', () => {
    const solid = (v: readonly number[]): Chw => ({ dims: [3, H, W], data: Float32Array.from({ length: 3 * P }, (_, i) => v[Math.floor(i / P)]!) });
    const r = compareTensors(solid([200, 30, 40]), solid([200 / 255, 30 / 255, 40 / 255].map(Math.fround)));
    expect(r.verdicts).toEqual([expect.stringMatching(/: a \/255 is missing$/)]);
  });

  it('names swapped channels', () => {
    const bgr = map(ours, (_, c, y, x) => at(ours, 2 - c, y, x));
    expect(compareTensors(ours, bgr).verdicts).toEqual(['channels 0 and 2 are swapped (BGR/RGB)']);
  });

  it('names a 1-pixel shift of the letterbox', () => {
    const down = map(ours, (_, c, y, x) => at(ours, c, y - 1, x));
    const r = compareTensors(ours, down);
    expect(r.verdicts).toEqual([expect.stringMatching(/^shifted by 1 pixel \(letterbox padding\/rounding differs\).*dx=0, dy=1$/)]);
    expect(r.channels[0]!.maxAbs).toBeGreaterThan(0.1);
  });

  it('names mean/std with the values the reference used, and combines with a swap', () => {
    const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
    const imagenet = map(ours, (v, c) => (v - mean[c]!) / std[c]!);
    const [v] = compareTensors(ours, imagenet).verdicts;
    expect(v).toMatch(/mean\/std differ .* mean \[0\.485, 0\.456, 0\.406\], std \[0\.229, 0\.224, 0\.225\]/);
    const both = map(imagenet, (_, c, y, x) => at(imagenet, 2 - c, y, x));
    expect(compareTensors(ours, both).verdicts).toEqual(['channels 0 and 2 are swapped (BGR/RGB)', expect.stringMatching(/mean\/std differ/)]);
  });

  it('says when nothing simple explains the difference, and refuses other shapes', () => {
    const noise = map(ours, (_, c, y, x) => ((x * 31 + y * 17 + c * 5) % 13) / 13);
    expect(compareTensors(ours, noise).verdicts[0]).toMatch(/^no simple explanation/);
    expect(() => compareTensors(ours, { dims: [3, H, W - 1], data: new Float32Array(3 * H * (W - 1)) })).toThrow(/reference is \[3, 24, 31\].*model input is \[3, 24, 32\]/);
  });
});
