/**
 * @module core/normalize.test
 * Normalisation: exact values for scale, channel swap, mean/std and float16 bits (numpy's), the
 * WebAssembly SIMD kernel against the JS one bit for bit, the division-free form accepted only
 * where it is exact, and float -> half rounding.
 */
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createNormalizer, DEFAULT_NORMALIZE, exactMulForms, mulFormValue, normalizeInto, planNormalize, toHalfBits } from './normalize.js';

const size = (width: number, height: number) => ({ width, height });

/** A 2x1 image: pixel 0 = (0, 51, 255), pixel 1 = (10, 20, 30). */
const tiny = () => new Uint8Array([0, 51, 255, 10, 20, 30]);

describe('normalizeInto', () => {
  it('writes CHW /255 float32 with exact values', () => {
    const dst = new Float32Array(6);
    normalizeInto(tiny(), size(2, 1), dst, 0);
    expect(Array.from(dst)).toEqual([0, 10 / 255, 51 / 255, 20 / 255, 1, 30 / 255].map(Math.fround));
    expect(Object.isFrozen(DEFAULT_NORMALIZE)).toBe(true);
  });

  it('swaps channels when source and model order differ', () => {
    const dst = new Float32Array(6);
    normalizeInto(tiny(), size(2, 1), dst, 0, { sourceOrder: 'rgb', modelOrder: 'bgr', scale: 1 });
    expect(Array.from(dst)).toEqual([255, 30, 51, 20, 0, 10]);
  });

  it('applies mean/std in the model channel order after scaling', () => {
    const dst = new Float32Array(6);
    // NanoDet: BGR model, mean/std given in BGR, raw 0..255 pixels.
    const mean = [103.53, 116.28, 123.675] as const;
    const std = [57.375, 57.12, 58.395] as const;
    normalizeInto(tiny(), size(2, 1), dst, 0, { scale: 1, mean, std, modelOrder: 'bgr' });
    const bgr = [[255, 30], [51, 20], [0, 10]];
    bgr.forEach((xs, plane) => xs.forEach((x, p) => expect(dst[plane * 2 + p]).toBeCloseTo((x - mean[plane]!) / std[plane]!, 5)));
  });

  it('writes float16 bits into a Uint16Array', () => {
    const dst = new Uint16Array(6);
    normalizeInto(tiny(), size(2, 1), dst, 0, { dtype: 'float16' });
    // numpy: np.float16(np.float32(x) / np.float32(255)).view(np.uint16)
    expect(Array.from(dst)).toEqual([0, 0x2905, 0x3266, 0x2d05, 0x3c00, 0x2f88]);
    expect(dst[1]).toBe(toHalfBits(Math.fround(10 / 255)));
  });

  it('fills only its slot of a batch tensor', () => {
    const slot = 3 * 4;
    const dst = new Float32Array(slot * 3).fill(-7);
    normalizeInto(new Uint8Array(slot).fill(255), size(2, 2), dst, slot);
    expect(dst.subarray(0, slot).every((v) => v === -7)).toBe(true);
    expect(dst.subarray(slot, 2 * slot).every((v) => v === 1)).toBe(true);
    expect(dst.subarray(2 * slot).every((v) => v === -7)).toBe(true);
  });

  it('refuses bad options with INVALID_ARGUMENT (pixels and buffers are checked where they enter: core/batch expectPixelBatch)', () => {
    expect(() => normalizeInto(tiny(), size(2, 1), new Float32Array(6), 0, { std: [1, 0, 1] })).toThrow(/std\[1\]/);
    expect(() => normalizeInto(tiny(), size(2, 1), new Float32Array(6), 0, { dtype: 'float64' as never })).toThrow('Expected one of float32, float16 for dtype but received "float64" of type string');
  });
});

describe('createNormalizer', () => {
  const wasm = createNormalizer();
  const js = createNormalizer({ route: 'js' });

  it('uses WebAssembly SIMD on Node 20', () => {
    expect(wasm.route).toBe('wasm-simd');
    expect(js.route).toBe('js');
  });

  it('falls back to js where WebAssembly SIMD does not validate', () => {
    // Mock: every runtime here has SIMD, so a runtime without it is simulated by stubbing validate().
    vi.stubGlobal('WebAssembly', { ...((globalThis as Record<string, unknown>).WebAssembly as object), validate: () => false });
    try {
      expect(createNormalizer().route).toBe('js');
      expect(() => createNormalizer({ route: 'wasm-simd' })).toThrow(/no WebAssembly SIMD/);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(createNormalizer().route).toBe('wasm-simd');
  });

  it('gives bit-identical output on the wasm-simd and js routes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 97 }),
        fc.integer({ min: 1, max: 131 }),
        fc.record({
          sourceOrder: fc.constantFrom('rgb' as const, 'bgr' as const),
          modelOrder: fc.constantFrom('rgb' as const, 'bgr' as const),
          scale: fc.constantFrom(1 / 255, 1, 0.5),
          mean: fc.option(fc.tuple(fc.double({ min: -200, max: 200, noNaN: true }), fc.constant(0.45), fc.constant(123.675)), { nil: undefined }),
          std: fc.option(fc.tuple(fc.constant(0.229), fc.double({ min: 0.01, max: 80, noNaN: true }), fc.constant(58.395)), { nil: undefined }),
        }),
        fc.integer({ min: 0, max: 5 }),
        (w, h, opts, slot) => {
          const n = w * h * 3;
          const src = Uint8Array.from({ length: n }, (_, i) => (i * 7919 + w * 31 + h) & 255);
          const a = new Float32Array(n * 6);
          const b = new Float32Array(n * 6);
          wasm.normalizeInto(src, size(w, h), a, slot * n, opts);
          js.normalizeInto(src, size(w, h), b, slot * n, opts);
          expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('matches x/255 for every byte value on a 640x640 image (tiles and tail)', () => {
    const src = Uint8Array.from({ length: 641 * 641 * 3 }, (_, i) => i & 255);
    const dst = new Float32Array(src.length);
    wasm.normalizeInto(src, size(641, 641), dst, 0);
    const px = 641 * 641;
    for (const p of [0, 1, 8191, 8192, 8193, px - 3, px - 1]) {
      for (let c = 0; c < 3; c++) expect(dst[c * px + p]).toBe(Math.fround(src[p * 3 + c]! / 255));
    }
  });
});

describe('exactMulForms', () => {
  it('accepts the division-free form for /255 (Ultralytics) and plain scales', () => {
    for (const scale of [1 / 255, 1, 0.5]) {
      const { channels } = planNormalize({ scale });
      const forms = exactMulForms(channels);
      expect(forms).toBeDefined();
      for (let x = 0; x < 256; x++) expect(mulFormValue(x, forms![0]!)).toBe(Math.fround(x / (1 / scale)));
    }
    // The exact reference for the default: x / 255 correctly rounded to float32.
    const forms = exactMulForms(planNormalize().channels)!;
    for (let x = 0; x < 256; x++) expect(mulFormValue(x, forms[1]!)).toBe(Math.fround(x / 255));
  });

  it('refuses it when any of the 256 values would differ (NanoDet mean/std), so division runs', () => {
    const { channels } = planNormalize({ scale: 1, mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395] });
    expect(exactMulForms(channels)).toBeUndefined();
  });
});

describe('toHalfBits', () => {
  it('matches numpy float32 -> float16 bits', () => {
    // Printed by numpy 2.4: np.float32(v).astype(np.float16).view(np.uint16)
    const cases: [number, number][] = [
      [1, 0x3c00], [0.5, 0x3800], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00],
      [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [-2, 0xc000], [1 / 3, 0x3555],
      [1 / 255, 0x1c04], [2 ** -14, 0x0400], [0.1, 0x2e66], [-0, 0x8000], [Infinity, 0x7c00],
      [1 + 2 ** -10 + 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02 -> even
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie -> up
      [6.1e-5, 0x03ff], // largest subnormal, rounding stays below the smallest normal
    ];
    for (const [v, bits] of cases) expect([v, toHalfBits(Math.fround(v)).toString(16)]).toEqual([v, bits.toString(16)]);
    expect(toHalfBits(NaN)).toBe(0x7e00);
    expect(toHalfBits(-Infinity)).toBe(0xfc00);
  });
});
