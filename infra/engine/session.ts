/**
 * @module infra/engine/session
 * Everything an engine thread does (its entry, worker.ts, only calls `startEngineThread`): the
 * ONNX Runtime session, created trying execution providers in the order given (ORT has no
 * fallback of its own: a missing CUDA library rejects `create`, so we record why and try the
 * next), core Tensor <-> ort.Tensor, the pixel normalisation before a run, and the run itself
 * into pre-allocated outputs. The thread prepares and releases its session when the engine says
 * so (infra/workers.ts `serveThread`) and runs what the engine's piscina tasks bring. Creating a
 * session and `session.run` block this thread, never the service's event loop. The bare-session
 * benchmarks use the session helpers directly.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { normalizePixelBatch, pixelBatchShape } from '../../core/batch.js';
import { DetectError } from '../../core/errors.js';
import { createNormalizer, type NormalizeOptions } from '../../core/normalize.js';
import { type ExecutionProvider, type TensorArray, type TensorDType, type TensorInfo, type TensorMap } from '../../core/types.js';
import { freeNow } from '../host.js';
import { preprocessInGraph } from '../onnx/graph.js';
import { readModelInfo } from '../onnx/model-info.js';
import { moved, serveThread, taskFunction, transferable, wholeView } from '../workers.js';
import { type FixedOutput, fixedOutputs, type NormalizeFeeds, type ReadyInfo, type RunReply, type RunTask, type SkippedProvider, type StartWith, type WorkerInit } from './engine.js';

/** Our provider names to ORT's; CPU is always appended by ORT anyway, naming it keeps it explicit. */
const ORT_PROVIDER: Record<ExecutionProvider, string> = {
  tensorrt: 'tensorrt',
  cuda: 'cuda',
  webgpu: 'webgpu',
  cpu: 'cpu',
};

export type SessionSettings = Omit<WorkerInit, 'modelPath' | 'preprocessInGraph'>;

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
    out[name] = { dtype: toDType(t.type), dims: [...t.dims], data: wholeView(halfAsBits(t.type, t.data as TensorArray)) };
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
  const mine = new Map<string, Float32Array | Uint16Array | Uint8Array>();
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
    let buf = mine.get(key);
    if (!buf || buf.length < n) mine.set(key, (buf = dtype === 'float16' ? new Uint16Array(n) : dtype === 'uint8' ? new Uint8Array(n) : new Float32Array(n)));
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
        // Checked once, by the engine's run() before posting: the thread trusts it.
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

// The thread's life: it creates its session when the engine says so (with the providers to try),
// answers with what the engine needs to know (provider, model facts), and releases the session
// when told, after the run in progress. Each run: normalise the pixel feeds, run into
// pre-allocated outputs, send the outputs (and the pixel buffers, for reuse) back transferred.
// Pre-allocation: outputs whose shape is known before the run (the engine's `fixedOutputs`) are
// handed to session.run as fetches, written into spent buffers the engine sent with the task
// where there are some, else into new ones; ORT's own copy of each is freed at once (2.8 MB per
// yolov8n image, else garbage that drives this thread's GCs). When such a run fails it is
// repeated without them: if the repeat succeeds, the model's declared shape was not what it
// produces and pre-allocation stays off in this thread (slower, never wrong); if it fails too,
// the input was bad and its error is the answer.
/** The model as the session loads it: the file's path, or its graph rewritten in memory (the file is never changed). */
function sessionModel(file: Uint8Array, init: WorkerInit): string | Uint8Array {
  const rewrites = Object.entries(init.preprocessInGraph);
  if (rewrites.length === 0) return init.modelPath;
  return rewrites.reduce((m, [name, o]) => preprocessInGraph(m, name, o, init.modelPath), file);
}

/** Serves this thread to the engine; returns the per-run function (the worker module's default export). */
export function startEngineThread(init: WorkerInit): (task: RunTask) => Promise<unknown> {
  const inputs = createWorkerInputs(new Set(Object.keys(init.preprocessInGraph)));
  let session: ort.InferenceSession | undefined;
  let fixed: FixedOutput[] = [];
  let running: Promise<unknown> = Promise.resolve();

  serveThread<StartWith>({
    async prepare({ providers }): Promise<ReadyInfo> {
      const t0 = performance.now();
      // Read once: the metadata below, and the graph rewrite when there is one.
      const file: Uint8Array = await readFile(init.modelPath);
      const created = await createSessionWithFallback(sessionModel(file, init), providers, init).catch((err: unknown) => {
        throw err instanceof ProviderFallbackError ? new DetectError('ENGINE_ERROR', err.message, { details: { skipped: err.skipped } }) : err;
      });
      session = created.session;
      const sessionMs = performance.now() - t0;
      const info = { inputs: toTensorInfo(session.inputMetadata), outputs: toTensorInfo(session.outputMetadata) };
      fixed = fixedOutputs(info.inputs, info.outputs);
      return { provider: created.provider, skipped: created.skipped, ...info, metadata: readModelInfo(file, init.modelPath).metadata, sessionMs };
    },
    async release() {
      await running.catch(() => {});
      await session?.release();
      session = undefined;
    },
  });

  async function run(task: RunTask): Promise<unknown> {
    let returned: TensorMap | undefined;
    try {
      if (!session) throw new Error('engine worker has no session'); // the engine sends runs only to threads with one
      const prepared = inputs.prepare(task.feeds, task.normalize);
      returned = prepared.returned;
      const { outputs, reused } = await runInto(session, prepared.feeds, task.spare);
      const reply: RunReply = { outputs, reused, ...(returned ? { returned } : {}) };
      return moved(reply, transferable([...Object.values(outputs), ...Object.values(returned ?? {})].map((t) => t.data)));
    } catch (err) {
      // The pixel buffers go back on failure too: the caller's supply of them must not shrink.
      const reply: RunReply = { error: err instanceof Error ? err.message : String(err), ...(returned ? { returned } : {}) };
      return moved(reply, transferable(Object.values(returned ?? {}).map((t) => t.data)));
    }
  }

  async function runInto(s: ort.InferenceSession, feeds: TensorMap, spare: TensorMap | undefined): Promise<{ outputs: TensorMap; reused: number }> {
    if (fixed.length === 0) return { outputs: fromOrtOutputs(await s.run(toOrtFeeds(feeds))), reused: 0 };
    const batch = feeds[s.inputNames[0]!]?.dims[0] ?? 1;
    const fetches: TensorMap = {};
    let reused = 0;
    for (const o of fixed) {
      const dims = o.dims(batch);
      const n = dims.reduce((a, b) => a * b, 1);
      const given = spare?.[o.name]?.data;
      const fits = given instanceof o.Array && given.length === n;
      if (fits) reused++;
      fetches[o.name] = { dtype: o.dtype, dims, data: fits ? given : new o.Array(n) };
    }
    let got;
    try {
      got = await s.run(toOrtFeeds(feeds), toOrtFeeds(fetches));
    } catch {
      const plain = fromOrtOutputs(await s.run(toOrtFeeds(feeds)));
      fixed = [];
      return { outputs: plain, reused: 0 };
    }
    // ORT wrote the pre-allocated ones in place (what it returns for them is a copy): send those.
    freeNow(Object.entries(got).filter(([name]) => fetches[name]).map(([, t]) => t.data as ArrayBufferView));
    const others = fromOrtOutputs(Object.fromEntries(Object.entries(got).filter(([name]) => !fetches[name])));
    return { outputs: Object.fromEntries(Object.keys(got).map((name) => [name, fetches[name] ?? others[name]!])), reused };
  }

  const tracked = (task: RunTask) => {
    const p = run(task);
    running = p;
    return p;
  };
  return taskFunction(tracked, (err) => new DetectError('ENGINE_ERROR', err instanceof Error ? err.message : String(err)));
}
