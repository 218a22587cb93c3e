/**
 * @module infra/engine/tensor-convert
 * core Tensor <-> ort.Tensor. Both sides share the typed array; nothing is copied unless ORT
 * hands back a view into a larger buffer, which could not be transferred on its own.
 */
import * as ort from 'onnxruntime-node';
import type { Tensor, TensorArray, TensorDType, TensorInfo, TensorMap } from '../../core/ports/index.js';

const DTYPES: readonly string[] = ['float32', 'float16', 'uint8', 'int8', 'int32', 'int64', 'bool'];

export function toOrtFeeds(feeds: TensorMap): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    out[name] = new ort.Tensor(t.dtype, t.data as never, t.dims as number[]);
  }
  return out;
}

export function fromOrtOutputs(outputs: Record<string, ort.Tensor>): TensorMap {
  const out: TensorMap = {};
  for (const [name, t] of Object.entries(outputs)) {
    out[name] = { dtype: toDType(t.type), dims: [...t.dims], data: owned(halfAsBits(t.type, t.data as TensorArray)) };
  }
  return out;
}

/**
 * float16 travels as IEEE half bits in a Uint16Array (core's convention). Where the runtime has
 * Float16Array (Node 24), onnxruntime-common hands float16 outputs back as one: the same bytes,
 * reinterpreted here without a copy, else every reader would see numbers instead of bits.
 */
function halfAsBits(type: string, data: TensorArray): TensorArray {
  if (type !== 'float16' || data instanceof Uint16Array) return data;
  const view = data as unknown as ArrayBufferView & { length: number };
  return new Uint16Array(view.buffer, view.byteOffset, view.length);
}

/** A typed array that owns its whole ArrayBuffer, so it can be transferred; one on a SharedArrayBuffer is shared as it is. */
export function owned<T extends TensorArray>(data: T): T {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data;
  return data.slice() as T;
}

export function ownedTensor(t: Tensor): Tensor {
  const data = owned(t.data);
  return data === t.data ? t : { dtype: t.dtype, dims: t.dims, data };
}

export function toDType(type: string): TensorDType {
  if (!DTYPES.includes(type)) throw new Error(`unsupported tensor type ${type}`);
  return type as TensorDType;
}

export function toTensorInfo(meta: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return meta.map((m) => {
    if (!m.isTensor) throw new Error(`${m.name} is not a tensor (sequences and maps are not supported)`);
    return { name: m.name, dtype: toDType(m.type), shape: [...m.shape] };
  });
}
