/**
 * @module core/decode/output-tensor
 * Shared checks every decoder runs before touching data: pick the output, require float32,
 * check the rank and fixed dims of the layout, and the batch index. Each failure is a
 * MODEL_MISMATCH naming the expected and the actual dims, because it means the manifest
 * declares a layout the model does not produce.
 */
import { DetectError } from '../errors/index.js';
import type { Tensor, TensorMap } from '../ports/index.js';
import type { DecodeOptions } from './types.js';

export function pickOutput(kind: string, outputs: TensorMap, opts: DecodeOptions): { name: string; tensor: Tensor } {
  const names = Object.keys(outputs);
  // onnxruntime keeps the model's output order, so the first key is the model's first output.
  const name = opts.outputNames?.[0] ?? names[0];
  const tensor = name === undefined ? undefined : outputs[name];
  if (name === undefined || tensor === undefined) {
    throw new DetectError(
      'MODEL_MISMATCH',
      `${kind} decoder expects output ${name ?? '(any)'} but the model produced [${names.join(', ')}]`,
    );
  }
  return { name, tensor };
}

/**
 * Checks `dims` against `expected` (a number is a fixed size, null any size) and returns the
 * float32 slice of batch item `index`.
 */
export function itemData(
  kind: string,
  layout: string,
  output: { name: string; tensor: Tensor },
  expected: readonly (number | null)[],
  index: number,
): Float32Array {
  const { name, tensor } = output;
  const dims = tensor.dims;
  const bad = dims.length !== expected.length || expected.some((e, i) => e !== null && dims[i] !== e);
  if (bad) {
    const want = expected.map((e) => (e === null ? '*' : String(e))).join(', ');
    throw new DetectError(
      'MODEL_MISMATCH',
      `${kind} decoder expects ${name} as ${layout} = [${want}] but it has dims [${dims.join(', ')}]`,
    );
  }
  if (tensor.dtype !== 'float32' || !(tensor.data instanceof Float32Array)) {
    throw new DetectError('MODEL_MISMATCH', `${kind} decoder expects ${name} as float32 but it is ${tensor.dtype}`);
  }
  const batch = dims[0]!;
  if (!Number.isInteger(index) || index < 0 || index >= batch) {
    throw new DetectError('MODEL_MISMATCH', `${kind} decoder asked for item ${index} of ${name} with batch ${batch}`);
  }
  const size = tensor.data.length / batch;
  return tensor.data.subarray(index * size, (index + 1) * size);
}

/** Class filter as a lookup table; null when every class passes. */
export function classMask(classes: readonly number[] | undefined, numClasses: number): Uint8Array | null {
  if (classes === undefined) return null;
  const mask = new Uint8Array(numClasses);
  for (const c of classes) if (c >= 0 && c < numClasses) mask[c] = 1;
  return mask;
}

export function allocCandidates(count: number): {
  count: number;
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
} {
  return { count, boxes: new Float32Array(count * 4), scores: new Float32Array(count), classIds: new Int32Array(count) };
}
