/**
 * @module core/inspect.test
 * The inspector's maths: the described steps of a plan, channel statistics, the tensor turned
 * back into pixels, the comparison's verdict for each usual mistake, and the .npy reader.
 */
import { describe, expect, it } from 'vitest';
import { planLetterbox } from './geometry.js';
import { channelStats, type Chw, compareTensors, describeSteps, letterboxView, parseNpy, tensorRange, tensorToRgb } from './inspect.js';
import { createNormalizer, fromHalfBits, toHalfBits } from './normalize.js';

describe('describeSteps', () => {
  it('lists the letterbox and pixel steps in order, mean/std only when set', () => {
    const plan = letterboxView(planLetterbox({ width: 810, height: 1080 }, { size: { width: 640, height: 640 } }));
    expect(plan).toMatchObject({ kind: 'letterbox', source: { width: 810, height: 1080 }, resized: { width: 480, height: 640 }, padding: { left: 80, right: 80, top: 0, bottom: 0 }, padValue: 114 });
    const spec = { kernel: 'cv2-linear', channelOrder: 'rgb', scale: 1 / 255, dtype: 'float32' } as const;
    expect(describeSteps(plan, spec).map((s) => s.step)).toEqual(['decode', 'resize', 'pad', 'channels', 'scale', 'layout', 'dtype']);
    expect(describeSteps(plan, { ...spec, std: [2, 2, 2] })[5]).toEqual({ step: 'normalize', mean: [0, 0, 0], std: [2, 2, 2] });
  });
});

describe('channelStats', () => {
  it('gives min/max/mean/std per channel over every item, for float32 and float16', () => {
    // [2, 3, 1, 2]: channel 0 holds 0, 1, 2, 3 across the two items.
    const data = Float32Array.from([0, 1, 10, 10, -1, 1, 2, 3, 10, 10, -1, 1]);
    const stats = channelStats(data, [2, 3, 1, 2]);
    expect(stats[0]).toEqual({ min: 0, max: 3, mean: 1.5, std: Math.sqrt(1.25) });
    expect(stats[1]).toEqual({ min: 10, max: 10, mean: 10, std: 0 });
    expect(stats[2]).toEqual({ min: -1, max: 1, mean: 0, std: 1 });
    expect(channelStats(Uint16Array.from(data, toHalfBits), [2, 3, 1, 2])).toEqual(stats);
    expect(tensorRange(stats)).toEqual([-1, 10]);
    expect(() => channelStats(data, [3, 1, 2])).toThrow(/data.length/);
  });
});

describe('tensorToRgb', () => {
  const rgb = Uint8Array.from([255, 0, 7, 114, 114, 114]); // 2x1 HWC: a red-ish pixel and the pad grey
  const size = { width: 2, height: 1 };

  it('undoes the normaliser exactly (scale, mean/std, BGR) and clamps a wrong scale to white', () => {
    const cases = [{ scale: 1 / 255 }, { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, { scale: 1, mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395] }] as const;
    for (const c of cases) for (const order of ['rgb', 'bgr'] as const) {
      const t = new Float32Array(6);
      createNormalizer().normalizeInto(rgb, size, t, 0, { ...c, modelOrder: order } as never);
      expect(tensorToRgb(t, [1, 3, 1, 2], { ...c, channelOrder: order }).pixels).toEqual(rgb);
    }
    const raw = new Float32Array(6);
    createNormalizer().normalizeInto(rgb, size, raw, 0, { scale: 1 });
    expect([...tensorToRgb(raw, [3, 1, 2], { scale: 1 / 255, channelOrder: 'rgb' }).pixels]).toEqual([255, 0, 255, 255, 255, 255]);
  });
});

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

/** A .npy v1.0 file as np.save writes it (header padded so the data starts at a multiple of 64). */
function npy(descr: string, shape: number[], body: Uint8Array, fortran = false): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}

describe('parseNpy', () => {
  const values = Float32Array.from({ length: 3 * 2 * 2 }, (_, i) => i / 4 - 1);

  it('reads float32 NCHW (N=1) and CHW, and float16', () => {
    const f32 = new Uint8Array(values.buffer);
    expect(parseNpy(npy('<f4', [1, 3, 2, 2], f32))).toEqual({ dtype: 'float32', dims: [3, 2, 2], data: values });
    expect(parseNpy(npy('<f4', [3, 2, 2], f32)).dims).toEqual([3, 2, 2]);
    const f16 = new Uint8Array(Uint16Array.from(values, toHalfBits).buffer);
    expect(parseNpy(npy('<f2', [3, 2, 2], f16))).toEqual({ dtype: 'float16', dims: [3, 2, 2], data: values });
  });

  it('refuses what it cannot read correctly, naming what it found', () => {
    const f32 = new Uint8Array(values.buffer);
    expect(() => parseNpy(new Uint8Array([1, 2, 3]))).toThrow(/not a NumPy .npy file/);
    expect(() => parseNpy(npy('>f4', [3, 2, 2], f32))).toThrow(/dtype >f4 is not supported/);
    expect(() => parseNpy(npy('<f8', [3, 2, 2], f32))).toThrow(/dtype <f8 is not supported/);
    expect(() => parseNpy(npy('<f4', [3, 2, 2], f32, true))).toThrow(/Fortran order/);
    expect(() => parseNpy(npy('<f4', [2, 3, 1, 1], f32))).toThrow(/shape \(2, 3, 1, 1\) is not supported: expected NCHW with N=1 or CHW/);
    expect(() => parseNpy(npy('<f4', [3, 4, 4], f32))).toThrow(/data is truncated/);
  });
});
