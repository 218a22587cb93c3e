import { describe, expect, it } from 'vitest';
import { createNormalizer, type NormalizeOptions } from '../normalize/index.js';
import { assembleBatch, expectPixelBatch, normalizePixelBatch, packBatch } from './index.js';

const size = { width: 5, height: 3 };
const slot = 3 * size.width * size.height;
const noisy = (seed: number) => ({ pixels: Uint8Array.from({ length: slot }, (_, i) => (i * 37 + seed * 101) % 256), size });

describe('packBatch', () => {
  it('copies each item into its HWC slot of a uint8 [B,H,W,3] batch, padding slots zero', () => {
    const items = [noisy(1), noisy(2), noisy(3)];
    const { tensor, batchSize, count } = packBatch(items, [1, 2, 4]);
    expect([batchSize, count, tensor.dtype, tensor.dims]).toEqual([4, 3, 'uint8', [4, 3, 5, 3]]);
    items.forEach((it, i) => expect(Array.from((tensor.data as Uint8Array).subarray(i * slot, (i + 1) * slot))).toEqual(Array.from(it.pixels)));
    expect(tensor.data.subarray(3 * slot).every((v) => v === 0)).toBe(true);
  });

  it('overwrites a recycled buffer of exactly the batch length and re-zeroes its padding', () => {
    const into = new Uint8Array(2 * slot).fill(9);
    const { tensor } = packBatch([noisy(4)], [2], { into });
    expect(tensor.data).toBe(into);
    expect(into.subarray(slot).every((v) => v === 0)).toBe(true);
    expect(packBatch([noisy(4)], [1], { into }).tensor.data).not.toBe(into); // batch 1: wrong length, fresh buffer
  });

  it('refuses mixed sizes, short pixels and too many items', () => {
    expect(() => packBatch([noisy(1), { pixels: new Uint8Array(12), size: { width: 2, height: 2 } }], [2])).toThrow(/items\[1\]\.size/);
    expect(() => packBatch([{ pixels: new Uint8Array(3), size }], [1])).toThrow('Expected Uint8Array of 45 bytes (width x height x 3) for items[0].pixels but received 3 of type number');
    expect(() => packBatch([noisy(1), noisy(2)], [1])).toThrow(/at most 1 items/);
  });
});

describe('expectPixelBatch', () => {
  const feed = (dims: number[], data: Uint8Array | Float32Array = new Uint8Array(dims.reduce((a, b) => a * b, 1))) =>
    ({ dtype: data instanceof Uint8Array ? 'uint8' : 'float32', dims, data }) as const;

  it('gives the model-side shape [B,3,H,W] and dtype', () => {
    expect(expectPixelBatch('images', feed([2, 3, 5, 3]), { dtype: 'float16' })).toEqual({
      batchSize: 2, size: { width: 5, height: 3 }, dtype: 'float16', dims: [2, 3, 3, 5],
    });
  });

  it('rejects what is not a uint8 HWC batch, and bad options, with INVALID_ARGUMENT', () => {
    const code = (f: () => unknown) => { try { f(); } catch (e) { return [(e as { code: string }).code, (e as Error).message]; } return ['none']; };
    expect(code(() => expectPixelBatch('images', undefined, {}))).toEqual(['INVALID_ARGUMENT', 'Expected a feed for every normalize entry for feeds.images but received undefined of type undefined']);
    expect(code(() => expectPixelBatch('images', feed([1, 3, 2, 2], new Float32Array(12)), {}))[1]).toMatch(/uint8 pixels .* for feeds\.images\.dtype but received "float32"/);
    expect(code(() => expectPixelBatch('images', feed([1, 3, 2, 2]), {}))[1]).toBe('Expected HWC pixel batch [B, H, W, 3] for feeds.images.dims but received "1x3x2x2" of type string');
    expect(code(() => expectPixelBatch('images', { dtype: 'uint8', dims: [1, 2, 2, 3], data: new Uint8Array(5) }, {}))[1]).toMatch(/12 for feeds\.images\.data\.length/);
    expect(code(() => expectPixelBatch('images', feed([1, 2, 2, 3]), { std: [1, 0, 1] }))[1]).toMatch(/std\[1\]/);
  });
});

describe('packBatch + normalizePixelBatch', () => {
  const cases: Partial<NormalizeOptions>[] = [
    { dtype: 'float32' },
    { scale: 1, mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395], modelOrder: 'bgr', dtype: 'float32' },
    { dtype: 'float16' },
  ];
  it.each(cases)('equals assembleBatch bit for bit on every real slot (%o)', (options) => {
    const items = [noisy(5), noisy(6), noisy(7)];
    const old = assembleBatch(items, [4], options, { normalizer: createNormalizer() }).tensor;
    const packed = packBatch(items, [4]).tensor;
    const shape = expectPixelBatch('images', packed, options);
    const dst = options.dtype === 'float16' ? new Uint16Array(4 * slot + 7).fill(1) : new Float32Array(4 * slot + 7).fill(-1);
    normalizePixelBatch(packed.data as Uint8Array, shape, dst, options, createNormalizer());
    expect(shape.dims).toEqual(old.dims);
    expect(Array.from(dst.subarray(0, 3 * slot))).toEqual(Array.from((old.data as Float32Array | Uint16Array).subarray(0, 3 * slot)));
    expect(dst[4 * slot]).toBe(options.dtype === 'float16' ? 1 : -1); // nothing written past B*3*H*W
  });
});
