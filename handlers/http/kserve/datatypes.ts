/**
 * @module handlers/http/kserve/datatypes
 * The KServe datatypes detectfn accepts, with their element sizes and typed arrays, and the
 * mapping from a model's dtype to the datatype its metadata reports. Binary tensor data is
 * little-endian (the only byte order Node runs on here), so a copy reinterprets it directly.
 */
import { DetectError } from '../../../core/errors/index.js';
import type { TensorDType } from '../../../core/ports/tensor.js';

export const NUMERIC_DATATYPES = {
  FP32: { bytes: 4, make: (b: ArrayBuffer) => new Float32Array(b), from: (a: number[]) => Float32Array.from(a) },
  FP16: { bytes: 2, make: (b: ArrayBuffer) => new Uint16Array(b), from: (a: number[]) => Uint16Array.from(a) },
  INT32: { bytes: 4, make: (b: ArrayBuffer) => new Int32Array(b), from: (a: number[]) => Int32Array.from(a) },
  UINT8: { bytes: 1, make: (b: ArrayBuffer) => new Uint8Array(b), from: (a: number[]) => Uint8Array.from(a) },
} as const;

export type NumericDatatype = keyof typeof NUMERIC_DATATYPES;
export const SUPPORTED_DATATYPES = [...Object.keys(NUMERIC_DATATYPES), 'BYTES'] as const;

export function isNumericDatatype(d: string): d is NumericDatatype {
  return Object.hasOwn(NUMERIC_DATATYPES, d);
}

const FROM_TENSOR: Partial<Record<TensorDType, string>> = {
  float32: 'FP32',
  float16: 'FP16',
  int32: 'INT32',
  uint8: 'UINT8',
  int8: 'INT8',
  int64: 'INT64',
  bool: 'BOOL',
};

export function kserveDatatype(dtype: string): string {
  const d = FROM_TENSOR[dtype as TensorDType];
  if (d === undefined) throw new DetectError('INTERNAL', `no KServe datatype for model dtype ${dtype}`);
  return d;
}

/** Copies `raw` (possibly unaligned inside the body) into a typed array of `datatype`. */
export function numericFromBytes(raw: Uint8Array, datatype: NumericDatatype, count: number, name: string) {
  const { bytes, make } = NUMERIC_DATATYPES[datatype];
  if (raw.byteLength !== count * bytes) {
    throw new DetectError(
      'INVALID_ARGUMENT',
      `input '${name}': ${datatype} shape needs ${count * bytes} bytes of binary data but binary_data_size is ${raw.byteLength}`,
    );
  }
  // Uint8Array's own slice copies; a Node Buffer's `slice` is a view of its (pooled) memory.
  return make(Uint8Array.prototype.slice.call(raw).buffer);
}

export function elementsOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
