/**
 * @module core/batch.test
 * Batch assembly: the allowed-size choice, the serving path (pixels packed on the caller,
 * checked and normalised in the engine) against the main-thread float path bit for bit, and the
 * per-item views of an output. Items are checked once, when the batcher takes them
 * (infra/model/batcher.test.ts): nothing here re-checks them, so these tests pass valid ones.
 */
import { describe, expect, it } from 'vitest';
import { assembleBatch, createBatchTensor, expectAllowedBatchSizes, expectPixelBatch, itemView, normalizePixelBatch, packBatch, pickBatchSize, splitBatch } from './batch.js';
import { createNormalizer, type NormalizeOptions } from './normalize.js';

/** A w x h image of one grey level. */
const image = (w: number, h: number, value: number) => ({ pixels: new Uint8Array(w * h * 3).fill(value), size: { width: w, height: h } });

// 5x3 images of distinct, seed-dependent bytes.
const size = { width: 5, height: 3 };
const slot = 3 * size.width * size.height;
const noisy = (seed: number) => ({ pixels: Uint8Array.from({ length: slot }, (_, i) => (i * 37 + seed * 101) % 256), size });

describe('expectAllowedBatchSizes', () => {
  it('accepts strictly increasing positive integers, once at load, and refuses anything else', () => {
    expect(expectAllowedBatchSizes([1, 2, 4, 8])).toEqual([1, 2, 4, 8]);
    expect(() => expectAllowedBatchSizes([])).toThrow('Expected non-empty array of batch sizes for allowed but received  of type object');
    expect(() => expectAllowedBatchSizes([1, 4, 2])).toThrow('Expected integer above allowed[1] (sorted, no repeats) for allowed[2] but received 2 of type number');
    expect(() => expectAllowedBatchSizes([0, 2])).toThrow(/allowed\[0\]/);
    expect(() => expectAllowedBatchSizes([1, 1.5])).toThrow(/allowed\[1\]/);
  });
});

describe('pickBatchSize', () => {
  it('picks the smallest allowed size that fits, else the largest', () => {
    expect(pickBatchSize(1, [1, 2, 4, 8])).toBe(1);
    expect(pickBatchSize(3, [1, 2, 4, 8])).toBe(4);
    expect(pickBatchSize(8, [1, 2, 4, 8])).toBe(8);
    expect(pickBatchSize(9, [1, 2, 4, 8])).toBe(8);
    expect(pickBatchSize(5, [1])).toBe(1); // fixed batch-1 model
  });
});

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

describe('assembleBatch', () => {
  it('normalises each item into its slot and leaves padding slots zero', () => {
    const items = [image(4, 3, 255), image(4, 3, 51), image(4, 3, 0)];
    const { tensor, batchSize, count } = assembleBatch(items, [1, 2, 4, 8], {}, { normalizer: createNormalizer() });
    expect([batchSize, count]).toEqual([4, 3]);
    expect(tensor.dims).toEqual([4, 3, 3, 4]);
    const data = tensor.data as Float32Array;
    const slot = 36;
    expect(data.subarray(0, slot).every((v) => v === 1)).toBe(true);
    expect(data.subarray(slot, 2 * slot).every((v) => v === Math.fround(0.2))).toBe(true);
    expect(data.subarray(2 * slot).every((v) => v === 0)).toBe(true);
  });

  it('writes float16 bits when asked, with the default normalizer', () => {
    const { tensor } = assembleBatch([image(2, 2, 255)], [1], { dtype: 'float16' });
    expect(tensor.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(tensor.data as Uint16Array)).toEqual(new Array(12).fill(0x3c00));
  });
});

describe('createBatchTensor', () => {
  it('allocates [b,c,h,w] zeros of the right array type', () => {
    const f32 = createBatchTensor(2, [3, 4, 5], 'float32');
    expect(f32.dims).toEqual([2, 3, 4, 5]);
    expect(f32.data).toBeInstanceOf(Float32Array);
    expect(f32.data.length).toBe(120);
    expect((f32.data as Float32Array).every((v) => v === 0)).toBe(true);
    const f16 = createBatchTensor(1, [3, 2, 2], 'float16');
    expect(f16.data).toBeInstanceOf(Uint16Array);
    expect(f16.dtype).toBe('float16');
  });
});

describe('splitBatch / itemView', () => {
  it('returns batch-1 views that share the output buffer', () => {
    const output = { dtype: 'float32' as const, dims: [4, 2, 3], data: Float32Array.from({ length: 24 }, (_, i) => i) };
    const parts = splitBatch(output, 3);
    expect(parts.map((p) => p.dims)).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    expect(Array.from(parts[2]!.data as Float32Array)).toEqual([12, 13, 14, 15, 16, 17]);
    expect(parts[1]!.data.buffer).toBe(output.data.buffer); // a view, not a copy
    (parts[1]!.data as Float32Array)[0] = -1;
    expect(output.data[6]).toBe(-1);
    expect(itemView(output, 3).data[0]).toBe(18);
  });

  it('refuses a model output whose first dimension cannot hold the items run, with MODEL_MISMATCH', () => {
    const output = { dtype: 'float32' as const, dims: [4, 2, 3], data: new Float32Array(24) };
    expect(() => splitBatch(output, 5)).toThrow(expect.objectContaining({
      code: 'MODEL_MISMATCH',
      message: 'a model output has dims [4, 2, 3]: its first (batch) dimension holds fewer than the 5 items the batch ran',
    }));
    expect(() => splitBatch({ dtype: 'float32', dims: [], data: new Float32Array(1) }, 1)).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }));
    expect(splitBatch(output, 0)).toEqual([]);
  });
});
