/**
 * @module infra/engine/session
 * Creates an ONNX Runtime session, trying execution providers in the caller's order. ORT has
 * no fallback of its own: a missing CUDA library rejects `create`, so we record why and try
 * the next. Runs inside an engine worker (and in the bare-session benchmark): creation blocks
 * the thread it runs on.
 */
import * as ort from 'onnxruntime-node';
import { normalizePixelBatch, pixelBatchShape } from '../../core/batch.js';
import { createNormalizer, type NormalizeOptions } from '../../core/normalize.js';
import type { ExecutionProvider, Tensor, TensorArray, TensorDType, TensorInfo, TensorMap } from '../../core/types.js';
import type { NormalizeFeeds, SkippedProvider, WorkerInit } from './engine.js';

/** Our provider names to ORT's; CPU is always appended by ORT anyway, naming it keeps it explicit. */
const ORT_PROVIDER: Record<ExecutionProvider, string> = {
  tensorrt: 'tensorrt',
  cuda: 'cuda',
  webgpu: 'webgpu',
  cpu: 'cpu',
};

export type SessionSettings = Omit<WorkerInit, 'modelPath' | 'providers' | 'allowCrashControl' | 'preprocessInGraph'>;

export function sessionOptions(provider: ExecutionProvider, s: SessionSettings): ort.InferenceSession.SessionOptions {
  const spin = s.allowSpinning ? '1' : '0';
  return {
    executionProviders: [ORT_PROVIDER[provider]],
    intraOpNumThreads: s.intraOpThreads,
    interOpNumThreads: s.interOpThreads,
    graphOptimizationLevel: s.graphOptimizationLevel,
    enableCpuMemArena: s.enableMemArena,
    logSeverityLevel: 3,
    // Session config entries (session.intra_op.allow_spinning, session.inter_op.allow_spinning).
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  };
}

export interface CreatedSession {
  readonly session: ort.InferenceSession;
  readonly provider: ExecutionProvider;
  readonly skipped: SkippedProvider[];
}

export class ProviderFallbackError extends Error {
  constructor(readonly skipped: SkippedProvider[]) {
    super(`no execution provider could load the model: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
  }
}

export async function createSessionWithFallback(
  /** A path, or the model's bytes (a graph rewritten in memory). */
  model: string | Uint8Array,
  providers: readonly ExecutionProvider[],
  settings: SessionSettings,
): Promise<CreatedSession> {
  const skipped: SkippedProvider[] = [];
  for (const provider of providers) {
    try {
      const session = await createSession(model, sessionOptions(provider, settings));
      return { session, provider, skipped };
    } catch (err) {
      skipped.push({ provider, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  throw new ProviderFallbackError(skipped);
}

// Two calls, not one with a union: ORT's overloads take a path or a buffer, not either.
const createSession = (model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) =>
  typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);

// ---- tensor-convert ----
// core Tensor <-> ort.Tensor. Both sides share the typed array; nothing is copied unless ORT
// hands back a view into a larger buffer, which could not be transferred on its own.
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

// ---- worker-inputs ----
// Inside an engine worker: turns `normalize` feeds (uint8 [B, H, W, 3] pixels) into the float
// [B, 3, H, W] tensors the session runs on. The float memory belongs to the worker and is reused
// by every batch (one buffer per input, grown to the largest batch seen, smaller batches use a
// prefix view): it is never transferred, so it is page-faulted once per worker, not per batch.
// Inputs whose graph normalises itself (engine option `preprocessInGraph`) take the pixels as
// they are (copied into a reused buffer of this worker's when on a SharedArrayBuffer, which
// onnxruntime-node refuses): same feeds, same buffers handed back, no float tensor.
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

// ---- output-buffers ----
// Inside an engine worker: output buffers handed to `session.run` as pre-allocated fetches, and
// the caller's spent ones taken back for reuse. Without this every batch allocated a new output
// (2.8 MB per yolov8n image) that ended up as external memory on the main thread, where it
// drove a major GC every few images. With it, the same few buffers go back and forth.
// Only outputs whose shape is known before the run are pre-allocated: every dim a number, except
// a first dim that carries the same name as the first input's (the batch), which takes the feed's
// batch size. Others (data-dependent shapes) are left for ORT to allocate, as before.
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
