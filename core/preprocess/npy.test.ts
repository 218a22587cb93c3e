import { describe, expect, it } from 'vitest';
import { toHalfBits } from '../normalize/index.js';
import { parseNpy } from './npy.js';

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
