/**
 * @module core/ports/tensor
 * The tensor shape that crosses every boundary (engine, batcher, KServe). Plain typed arrays,
 * so a tensor can be transferred to a worker thread without a copy.
 */

export type TensorDType = 'float32' | 'float16' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool';

export type TensorArray = Float32Array | Uint16Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

export interface Tensor {
  readonly dtype: TensorDType;
  readonly dims: readonly number[];
  readonly data: TensorArray;
}

/** A tensor as a model declares it: a dimension is a number when fixed, a name when dynamic. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly (number | string)[];
}

export type TensorMap = Record<string, Tensor>;

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
