import { describe, expect, it } from 'vitest';
import { numericFromBytes } from './datatypes.js';

describe('numericFromBytes', () => {
  it('copies exactly the given bytes, also from a Node Buffer view into pooled memory', () => {
    // A small Buffer.from lives in Node's shared 8 KiB pool: its .buffer holds other bytes too.
    const pool = Buffer.from(new Float32Array([9, 9, 1.5, -2, 9]).buffer);
    const view = pool.subarray(8, 16);
    const out = numericFromBytes(view, 'FP32', 2, 'x') as Float32Array;
    expect(Array.from(out)).toEqual([1.5, -2]);
    expect(out.buffer.byteLength).toBe(8);
  });

  it('refuses a byte count that does not match the shape, naming the input', () => {
    expect(() => numericFromBytes(new Uint8Array(7), 'FP32', 2, 'images')).toThrow("input 'images': FP32 shape needs 8 bytes of binary data but binary_data_size is 7");
  });
});
