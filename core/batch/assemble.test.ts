import { describe, expect, it } from 'vitest';
import { createNormalizer } from '../normalize/index.js';
import { assembleBatch, createBatchTensor, itemView, splitBatch } from './index.js';

const image = (w: number, h: number, value: number) => ({ pixels: new Uint8Array(w * h * 3).fill(value), size: { width: w, height: h } });

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
    expect(() => createBatchTensor(0, [3, 2, 2], 'float32')).toThrow(/batchSize/);
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

  it('refuses mixed sizes and more items than the largest batch', () => {
    expect(() => assembleBatch([image(4, 3, 1), image(3, 4, 1)], [2], {})).toThrow('Expected 4x3 like items[0] for items[1].size but received "3x4" of type string');
    expect(() => assembleBatch([image(2, 2, 1), image(2, 2, 1)], [1], {})).toThrow(/at most 1 items/);
    expect(() => assembleBatch([], [1], {})).toThrow(/items/);
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
    expect(() => itemView(output, 4)).toThrow(/index/);
    expect(() => splitBatch(output, 5)).toThrow(/count/);
  });
});
