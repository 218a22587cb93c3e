/**
 * @module core/preprocess/npy
 * A small reader for the NumPy .npy files a training pipeline saves with np.save: format
 * versions 1-3, little-endian float32 ('<f4') or float16 ('<f2'), C order, shape [1, C, H, W]
 * or [C, H, W]. Anything else is refused with a message that says what was found and what to
 * save instead, rather than read wrongly.
 */
import { DetectError } from '../errors/index.js';
import { fromHalfBits } from '../normalize/index.js';

export interface NpyTensor {
  readonly dtype: 'float32' | 'float16';
  /** Always [C, H, W] (a leading batch of 1 is dropped). */
  readonly dims: readonly [number, number, number];
  /** The values widened to float32. */
  readonly data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function bad(message: string): DetectError {
  return new DetectError('INVALID_ARGUMENT', `.npy: ${message}`);
}

export function parseNpy(bytes: Uint8Array): NpyTensor {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('not a NumPy .npy file (magic \\x93NUMPY missing)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw bad(`format version ${major} is not supported (1, 2 or 3)`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw bad('header is truncated');
  const header = String.fromCharCode(...bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(`header is not a NumPy array header: ${header.trim()}`);
  const dtype = descr === '<f4' ? 'float32' : descr === '<f2' ? 'float16' : undefined;
  if (!dtype) throw bad(`dtype ${descr} is not supported: save little-endian float32 ('<f4') or float16 ('<f2')`);
  if (fortran === 'True') throw bad('Fortran order is not supported: save a C-ordered array (np.ascontiguousarray)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const chw = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
  if (chw.length !== 3 || chw.some((d) => !Number.isInteger(d) || d < 1)) {
    throw bad(`shape (${shape.join(', ')}) is not supported: expected NCHW with N=1 or CHW`);
  }
  const count = chw[0]! * chw[1]! * chw[2]!;
  const width = dtype === 'float32' ? 4 : 2;
  const offset = start + headerLen;
  if (bytes.length - offset < count * width) throw bad(`data is truncated: shape (${shape.join(', ')}) needs ${count * width} bytes, file has ${bytes.length - offset}`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = dtype === 'float32' ? view.getFloat32(offset + i * 4, true) : fromHalfBits(view.getUint16(offset + i * 2, true));
  }
  return { dtype, dims: chw as [number, number, number], data };
}
