/**
 * @module infra/engine/worker-inputs
 * Inside an engine worker: turns `normalize` feeds (uint8 [B, H, W, 3] pixels) into the float
 * [B, 3, H, W] tensors the session runs on. The float memory belongs to the worker and is reused
 * by every batch (one buffer per input, grown to the largest batch seen, smaller batches use a
 * prefix view): it is never transferred, so it is page-faulted once per worker, not per batch.
 * Inputs whose graph normalises itself (engine option `preprocessInGraph`) take the pixels as
 * they are (copied into a reused buffer of this worker's when on a SharedArrayBuffer, which
 * onnxruntime-node refuses): same feeds, same buffers handed back, no float tensor.
 */
import { normalizePixelBatch, pixelBatchShape } from '../../core/batch/index.js';
import { createNormalizer, type NormalizeOptions } from '../../core/normalize/index.js';
import type { TensorMap } from '../../core/ports/index.js';
import type { NormalizeFeeds } from './protocol.js';

export interface PreparedFeeds {
  /** What the session runs on: each normalised feed replaced by its float tensor. */
  readonly feeds: TensorMap;
  /** The pixel feeds, to hand back to the caller for reuse (not shared ones: the caller has those); undefined when none were normalised. */
  readonly returned: TensorMap | undefined;
}

export interface WorkerInputs {
  prepare(feeds: TensorMap, normalize: NormalizeFeeds | undefined): PreparedFeeds;
}

/** `inGraph`: input names the model normalises itself (its graph was rewritten at load). */
export function createWorkerInputs(inGraph: ReadonlySet<string> = new Set()): WorkerInputs {
  const normalizer = createNormalizer();
  const owned = new Map<string, Float32Array | Uint16Array | Uint8Array>();
  // Options arrive as a new structured clone every run, but the normalizer keeps its plan and
  // tables per object identity: map equal options to one object (serving uses one or two).
  const canonical = new Map<string, Partial<NormalizeOptions>>();
  const stable = (o: Partial<NormalizeOptions>) => {
    const key = JSON.stringify(o);
    let hit = canonical.get(key);
    if (!hit) {
      if (canonical.size >= 16) canonical.clear();
      canonical.set(key, (hit = o));
    }
    return hit;
  };
  const ownBuffer = <T extends Float32Array | Uint16Array | Uint8Array>(name: string, dtype: 'float32' | 'float16' | 'uint8', n: number): T => {
    const key = `${name}/${dtype}`;
    let buf = owned.get(key);
    if (!buf || buf.length < n) owned.set(key, (buf = dtype === 'float16' ? new Uint16Array(n) : dtype === 'uint8' ? new Uint8Array(n) : new Float32Array(n)));
    return buf.subarray(0, n) as T;
  };

  return {
    prepare(feeds, normalize) {
      if (!normalize) return { feeds, returned: undefined };
      const out: TensorMap = { ...feeds };
      const returned: TensorMap = {};
      for (const [name, given] of Object.entries(normalize)) {
        const pixels = feeds[name]!;
        if (!(pixels.data.buffer instanceof SharedArrayBuffer)) returned[name] = pixels;
        if (inGraph.has(name)) {
          // The uint8 [B, H, W, 3] feed goes to the session as it is, but onnxruntime-node refuses
          // memory on a SharedArrayBuffer ("Invalid argument"): such a feed is copied into one of ours.
          if (pixels.data.buffer instanceof SharedArrayBuffer) {
            const own = ownBuffer<Uint8Array>(name, 'uint8', pixels.data.length);
            own.set(pixels.data as Uint8Array);
            out[name] = { ...pixels, data: own };
          }
          continue;
        }
        const options = stable(given);
        // Checked once, in the pool before posting (engine boundary): the worker trusts it.
        const shape = pixelBatchShape(pixels, options);
        const [b, c, h, w] = shape.dims;
        const data = ownBuffer<Float32Array | Uint16Array>(name, shape.dtype, b * c * h * w);
        normalizePixelBatch(pixels.data as Uint8Array, shape, data, options, normalizer);
        out[name] = { dtype: shape.dtype, dims: shape.dims, data };
      }
      return { feeds: out, returned };
    },
  };
}
