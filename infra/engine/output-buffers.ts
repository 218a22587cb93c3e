/**
 * @module infra/engine/output-buffers
 * Inside an engine worker: output buffers handed to `session.run` as pre-allocated fetches, and
 * the caller's spent ones taken back for reuse. Without this every batch allocated a new output
 * (2.8 MB per yolov8n image) that ended up as external memory on the main thread, where it
 * drove a major GC every few images. With it, the same few buffers go back and forth.
 * Only outputs whose shape is known before the run are pre-allocated: every dim a number, except
 * a first dim that carries the same name as the first input's (the batch), which takes the feed's
 * batch size. Others (data-dependent shapes) are left for ORT to allocate, as before.
 */
import type { Tensor, TensorArray, TensorDType, TensorInfo, TensorMap } from '../../core/ports/index.js';

/** How many spare buffers of one name and length a worker keeps (batches in flight are few). */
const KEEP = 2;

const ARRAYS: Partial<Record<TensorDType, new (n: number) => TensorArray>> = {
  float32: Float32Array, float16: Uint16Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array, int64: BigInt64Array, bool: Uint8Array,
};

export interface OutputBuffers {
  /** Pre-allocated outputs for a run whose first input has batch size `batch`; `reused`: how many are spare ones. */
  take(batch: number): { readonly fetches: TensorMap; readonly reused: number };
  /** Spent outputs back from the caller: kept when they fit a known output. */
  give(outputs: TensorMap): void;
}

export function createOutputBuffers(inputs: readonly TensorInfo[], outputs: readonly TensorInfo[]): OutputBuffers {
  const batchName = inputs[0]?.shape[0];
  const known = outputs.filter((o) => ARRAYS[o.dtype] && o.shape.every((d, i) => typeof d === 'number' || (i === 0 && typeof batchName === 'string' && d === batchName)));
  const byName = new Map(known.map((o) => [o.name, o]));
  const spare = new Map<string, TensorArray[]>();
  const key = (name: string, length: number) => `${name}/${length}`;

  return {
    take(batch) {
      const fetches: TensorMap = {};
      let reused = 0;
      for (const o of known) {
        const dims = o.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? batch : NaN));
        const n = dims.reduce((a, b) => a * b, 1);
        const kept = spare.get(key(o.name, n))?.pop();
        if (kept) reused++;
        fetches[o.name] = { dtype: o.dtype, dims, data: kept ?? new ARRAYS[o.dtype]!(n) } satisfies Tensor;
      }
      return { fetches, reused };
    },
    give(given) {
      for (const [name, t] of Object.entries(given)) {
        const o = byName.get(name);
        if (!o || t.dtype !== o.dtype || !(t.data instanceof ARRAYS[o.dtype]!)) continue;
        const list = spare.get(key(name, t.data.length)) ?? [];
        if (list.length < KEEP) list.push(t.data);
        spare.set(key(name, t.data.length), list);
      }
    },
  };
}
