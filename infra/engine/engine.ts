/**
 * @module infra/engine/engine
 * The Engine port on onnxruntime-node, sessions only inside worker threads (session.run blocks
 * the thread it runs on). This is the main-thread side: options, the engine's queue, health and
 * close; the threads are a prepared WorkerPool (infra/workers.ts, on piscina), and what runs in
 * them is infra/engine/session.ts.
 * - Each thread prepares a session before it takes runs. The first walks the provider list
 *   (tensorrt, cuda, webgpu, cpu: ORT has no fallback of its own), the others start on the one
 *   it settled on; a failure before all are up fails createEngine with ENGINE_ERROR (naming the
 *   skipped providers). Later, a crashed thread is replaced at once; a failed start (the model
 *   file is gone) is retried with capped exponential backoff and equal jitter.
 * - Runs wait in the engine's own queue and go to piscina only when a thread with a session is
 *   idle: a queued run can still be cancelled, and a running one is never aborted (piscina
 *   would terminate its thread). A crash fails only the run on that thread (WORKER_CRASHED).
 * - Health: ready while a thread has a session. While none has and none is starting, queued and
 *   new runs fail fast with ENGINE_UNAVAILABLE (503, Retry-After = the next attempt).
 * - close(): queued runs are refused (NOT_READY), running ones finish, each thread releases its
 *   session, then the threads end; bounded by closeTimeoutMs, so it returns even with a hung thread.
 * - Buffers: feeds are transferred, or shared where they are on a SharedArrayBuffer (the uint8
 *   pixel batch, read in place and handed back through `recycle`); outputs the caller releases
 *   are detached at once, kept here by shape and sent with the next run of that shape, which the
 *   thread writes into (`outputsReused`).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { elementCount, expectPixelBatch } from '../../core/batch.js';
import { DetectError, expectInteger, expectNumber, expectOneOf, invalidParameterError } from '../../core/errors.js';
import { type NormalizeOptions, planNormalize } from '../../core/normalize.js';
import type { Clock, Engine, EngineRunOptions, ExecutionProvider, Tensor, TensorArray, TensorDType, TensorInfo, TensorMap } from '../../core/types.js';
import { createSystemClock } from '../host.js';
import { callerError, type CallSite, captureCallSite, createWorkerPool, existingScript, type PoolCounts, transferable, wholeView } from '../workers.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Structured logging in pino's argument order (fields, message), so a pino Logger fits as is. */
export interface EngineLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export interface EngineOptions {
  /** Path of the .onnx file, read by each worker. */
  readonly modelPath: string;
  /** Ordered preference; the first that creates a session wins. @default ['cpu'] */
  readonly providers?: readonly ExecutionProvider[];
  /** Worker threads, each with its own session. @default 1 */
  readonly workers?: number;
  /** ORT intra-op threads per session; 0 lets ORT choose (one per core). @default 0 */
  readonly intraOpThreads?: number;
  /** ORT inter-op threads per session; 0 lets ORT choose. @default 0 */
  readonly interOpThreads?: number;
  /** @default 'all' */
  readonly graphOptimizationLevel?: GraphOptimizationLevel;
  /** ORT CPU memory arena: faster repeated runs, memory is kept. @default true */
  readonly enableMemArena?: boolean;
  /**
   * ORT thread-pool threads spin while waiting for work (ORT's default). Spinning threads
   * compete with the main thread on a machine with few cores. @default true
   */
  readonly allowSpinning?: boolean;
  /**
   * Inputs the model normalises itself (manifest `engine.preprocessInGraph`), with the options
   * baked in: each worker rewrites the ONNX graph at load (infra/onnx/graph.ts) so the input
   * takes uint8 [B, H, W, 3] pixels. Runs must then send those inputs as pixel feeds with the
   * same `normalize` options; the worker passes them through untouched. @default none
   */
  readonly preprocessInGraph?: EngineRunOptions['normalize'];
  /** @default silent */
  readonly logger?: EngineLogger;
  /**
   * Worker module; by default dist/engine-worker.js next to a bundle, or worker-dev.mjs (tsx)
   * when running from source. Its default export is the per-run function. @default resolved automatically
   */
  readonly workerScript?: string | URL;
  /**
   * Waits between attempts to start a thread's session after a failed start: doubling from the
   * base up to the cap, retried for as long as the engine is open.
   * @default { baseDelayMs: 1000, maxDelayMs: 30000 }
   */
  readonly restartBackoff?: RestartBackoff;
  /** Longest wait on close() for running runs and session releases before threads are terminated. @default 5000 */
  readonly closeTimeoutMs?: number;
  /** Restart timers and "next attempt in" (tests may pass a fake). @default the system clock */
  readonly clock?: Clock;
}

export interface RestartBackoff {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Whether the engine can run now; `reason` says why not and when the next restart is tried. */
export interface EngineHealth {
  readonly state: 'ready' | 'unavailable';
  readonly reason?: string;
}

/** The Engine contract plus what the pool can tell about itself. */
export interface WorkerEngine extends Engine {
  /** Threads with a session (a crashed one counts again once its replacement is ready). */
  readonly workerCount: number;
  /** Milliseconds the first worker took to create its session (cold start, fallback included). */
  readonly sessionMs: number;
  /** Runs waiting for an idle thread. */
  readonly queued: number;
  /** Outputs written into buffers given back with `releaseOutputs` (instead of newly allocated ones). */
  readonly outputsReused: number;
  /** `ready` while at least one thread has a session; else `unavailable`, naming the last start failure. */
  health(): EngineHealth;
}

export const ENGINE_DEFAULTS = Object.freeze({
  providers: Object.freeze(['cpu'] as ExecutionProvider[]),
  workers: 1,
  intraOpThreads: 0,
  interOpThreads: 0,
  graphOptimizationLevel: 'all' as GraphOptimizationLevel,
  enableMemArena: true,
  allowSpinning: true,
  restartBackoff: Object.freeze({ baseDelayMs: 1000, maxDelayMs: 30_000 }),
  closeTimeoutMs: 5000,
});

export const SILENT_LOGGER: EngineLogger = Object.freeze({ info() {}, warn() {}, error() {} });

// Runs every batch shape the batcher can produce before traffic arrives: on GPU each new
// input shape costs a cuDNN/TensorRT set-up, on CPU the first run allocates the arena. With
// several workers each shape is sent `parallel` times at once so that every worker sees it.
// With `normalize`, it sends uint8 pixel batches for the engine to normalise, as serving does,
// so the worker's float tensors and normalizer are warm too.
export interface WarmupOptions {
  readonly inputName: string;
  /** Per-item dims without the batch dimension, e.g. [3, 640, 640]. */
  readonly itemDims: readonly number[];
  /** Every batch size the batcher can produce. */
  readonly batchSizes: readonly number[];
  /** @default 'float32' */
  readonly dtype?: 'float32' | 'float16';
  /**
   * Send HWC uint8 pixels [B, H, W, 3] with these options (dtype set from `dtype`), the path
   * batched inference takes by default; without it, ready float tensors. @default undefined
   */
  readonly normalize?: Partial<NormalizeOptions>;
  /** Runs per shape (per worker). @default 1 */
  readonly iterations?: number;
  /** Concurrent runs per iteration: the engine's worker count, so each worker warms up. @default 1 */
  readonly parallel?: number;
  readonly logger?: EngineLogger;
}

export interface WarmupShape {
  readonly batchSize: number;
  /** Wall time of each iteration (all parallel runs), in ms. */
  readonly ms: readonly number[];
}

export async function warmupEngine(engine: Engine, o: WarmupOptions): Promise<WarmupShape[]> {
  const iterations = expectInteger('iterations', o.iterations ?? 1, 1, 1000);
  const parallel = expectInteger('parallel', o.parallel ?? 1, 1, 64);
  if (o.batchSizes.length === 0) throw invalidParameterError('batchSizes', 'non-empty array', o.batchSizes);
  const dtype: TensorDType = o.dtype ?? 'float32';
  const normalize = o.normalize ? { [o.inputName]: { ...o.normalize, dtype } } : undefined;
  const shapes: WarmupShape[] = [];
  for (const batchSize of o.batchSizes) {
    const dims = [expectInteger('batchSizes[]', batchSize, 1), ...o.itemDims];
    const ms: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      // Fresh buffers per run: the engine transfers (detaches) them.
      await Promise.all(Array.from({ length: parallel }, () => engine.run(...request(o.inputName, dtype, dims, normalize))));
      ms.push(performance.now() - t0);
    }
    o.logger?.info({ batchSize, ms }, 'engine warmup');
    shapes.push({ batchSize, ms });
  }
  return shapes;
}

function request(name: string, dtype: TensorDType, dims: number[], normalize: EngineRunOptions['normalize']): [TensorMap, EngineRunOptions] {
  if (!normalize) return [feeds(name, dtype, dims), {}];
  const [b, c, h, w] = dims as [number, number, number, number];
  if (c !== 3) throw invalidParameterError('itemDims[0]', '3 channels (normalize takes RGB pixels)', c);
  return [{ [name]: { dtype: 'uint8', dims: [b, h, w, 3], data: new Uint8Array(b * h * w * 3) } }, { normalize }];
}

function feeds(name: string, dtype: TensorDType, dims: number[]): TensorMap {
  const n = elementCount(dims);
  // float16 zero is 0x0000, so a zeroed Uint16Array is a valid float16 tensor of zeros.
  const data = dtype === 'float16' ? new Uint16Array(n) : new Float32Array(n);
  return { [name]: { dtype, dims, data } };
}

// Where the engine thread's code is (infra/workers.ts says how a bundle and a source run differ).
export function resolveWorkerScript(override?: string | URL, here: string = import.meta.url): URL {
  const url = override === undefined ? new URL(here.endsWith('.ts') ? './worker-dev.mjs' : './engine-worker.js', here)
    : override instanceof URL ? override
    : override.startsWith('file:') ? new URL(override) : pathToFileURL(resolve(override));
  return existingScript(url, 'engine worker');
}

// Create engine.
interface Job {
  readonly feeds: TensorMap;
  readonly normalize: NormalizeFeeds | undefined;
  readonly site: CallSite;
  resolve(outputs: TensorMap): void;
  reject(err: Error): void;
  /** Hands the normalised feeds' pixels back to the caller, before resolve or reject. */
  recycle(pixels: TensorMap): void;
}

/**
 * The job's pixel feeds on SharedArrayBuffers: the thread is done with them once it replied, and
 * they are the caller's own objects, so they are handed back from here (sending them back would
 * make a new ArrayBuffer of each).
 */
function sharedPixels(job: Job): TensorMap {
  const shared: TensorMap = {};
  for (const name of Object.keys(job.normalize ?? {})) {
    const t = job.feeds[name];
    if (t?.data.buffer instanceof SharedArrayBuffer) shared[name] = t;
  }
  return shared;
}

/** Why no thread can run now, for health() and ENGINE_UNAVAILABLE. */
function unavailableReason(c: PoolCounts, workers: number): string {
  if (c.preparing > 0) return `no live engine worker: replacement starting${c.lastError ? ` (last attempt failed: ${c.lastError})` : ''}`;
  if (c.lost === workers) return 'no live engine worker: its threads failed while loading, and piscina does not replace those';
  const next = c.nextAttemptInMs === undefined ? '' : `; next attempt in ${Math.ceil(c.nextAttemptInMs / 1000)} s`;
  return `no live engine worker: replacement failed: ${c.lastError ?? 'unknown error'}${next}`;
}

export async function createEngine(options: EngineOptions): Promise<WorkerEngine> {
  const o = resolveEngineOptions(options);
  const { logger } = o;
  const queue: Job[] = [];
  let closing: Promise<void> | undefined;
  let outputsReused = 0;
  let spares: OutputSpares | undefined;
  const produced = new WeakSet<TensorMap>();

  const pool = createWorkerPool<RunTask, RunReply, StartWith>({
    name: 'engine',
    script: resolveWorkerScript(options.workerScript),
    threads: o.workers,
    tasksPerThread: 1,
    lazy: false,
    workerData: workerInit(o),
    prepare: {
      first: { providers: o.providers },
      rest: (first) => ({ providers: [(first as ReadyInfo).provider] }),
      backoff: o.restartBackoff,
      clock: o.clock,
      onPrepared(answer, first) {
        const info = answer as ReadyInfo;
        if (first) {
          for (const s of info.skipped) logger.warn({ provider: s.provider, reason: s.reason }, 'execution provider skipped');
          logger.info({ provider: info.provider, sessionMs: info.sessionMs, workers: o.workers }, 'engine session ready');
        } else if (spares) logger.info({ provider: info.provider, workers: pool.counts().prepared }, 'engine worker replaced');
      },
      onFailed: (error, next) => logger.error({ error, attempt: next.attempt, retryInMs: next.delayMs }, 'engine worker replacement failed'),
      onCrashed: () => logger.error({ workers: pool.counts().prepared }, 'engine worker crashed'),
      onChange: () => (failIfNoneLeft(), dispatch()),
    },
    onError: (err) => logger.error({ error: err.message }, 'engine worker error'),
  });

  const noneLeft = () => {
    const c = pool.counts();
    return c.prepared === 0 && c.preparing === 0;
  };
  const unavailable = (site: CallSite) => {
    const c = pool.counts();
    return callerError('ENGINE_UNAVAILABLE', unavailableReason(c, o.workers), site, { retryAfterS: Math.max(1, Math.ceil((c.nextAttemptInMs ?? 0) / 1000)) });
  };
  const failIfNoneLeft = () => {
    if (closing || !spares || !noneLeft()) return;
    for (const job of queue.splice(0)) job.reject(unavailable(job.site));
  };
  // Runs go to piscina only when a thread with a session is idle: until then they wait here.
  const dispatch = () => {
    if (!spares || closing) return;
    while (queue.length > 0 && pool.counts().prepared > pool.inFlight) submit(queue.shift()!);
  };
  let batchInput = '';
  const submit = (job: Job) => {
    const spare = spares!.take(job.feeds[batchInput]?.dims[0] ?? 1);
    const task: RunTask = { feeds: job.feeds, ...(job.normalize ? { normalize: job.normalize } : {}), ...(spare ? { spare } : {}) };
    const transfer = transferable([...Object.values(job.feeds), ...Object.values(spare ?? {})].map((t) => t.data));
    pool.run(task, transfer, job.site).then(
      (reply) => {
        const back = { ...sharedPixels(job), ...reply.returned };
        if (Object.keys(back).length > 0) job.recycle(back);
        if ('error' in reply) return job.reject(callerError('ENGINE_ERROR', reply.error, job.site));
        outputsReused += reply.reused;
        produced.add(reply.outputs);
        job.resolve(reply.outputs);
      },
      (err: Error) => job.reject(err),
    ).finally(dispatch);
  };

  function run(feeds: TensorMap, options: EngineRunOptions = {}): Promise<TensorMap> {
    const site = captureCallSite();
    if (closing) return Promise.reject(callerError('NOT_READY', 'engine is closed', site));
    if (noneLeft()) return Promise.reject(unavailable(site));
    const { signal, normalize, recycle } = options;
    if (signal?.aborted) return Promise.reject(callerError('CANCELLED', 'run was cancelled', site));
    // Checked here, once, before anything is posted: the thread trusts its input.
    try {
      for (const [name, n] of Object.entries(normalize ?? {})) expectPixelBatch(name, feeds[name], n);
      expectInGraphFeeds(o.preprocessInGraph, normalize);
    } catch (err) {
      return Promise.reject(err);
    }
    // Transferring a view would detach the caller's whole (maybe pooled) buffer: copy those.
    const owned: TensorMap = {};
    for (const [name, t] of Object.entries(feeds)) owned[name] = { dtype: t.dtype, dims: t.dims, data: wholeView(t.data) };
    return new Promise<TensorMap>((resolve, reject) => {
      const onAbort = () => {
        const i = queue.indexOf(job);
        if (i < 0) return; // already running: it finishes
        queue.splice(i, 1);
        reject(callerError('CANCELLED', 'run was cancelled', site));
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      const job: Job = {
        feeds: owned,
        normalize,
        site,
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
        recycle(pixels) {
          try {
            recycle?.(pixels);
          } catch (err) {
            logger.error({ error: (err as Error).message }, 'engine recycle callback threw');
          }
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(job);
      dispatch();
    });
  }

  const close = () =>
    (closing ??= (async () => {
      for (const job of queue.splice(0)) job.reject(callerError('NOT_READY', 'engine is closing', job.site));
      await pool.close(o.closeTimeoutMs);
    })());

  let info: ReadyInfo;
  try {
    info = (await pool.up()) as ReadyInfo;
  } catch (err) {
    await close();
    const details = (err as { details?: Record<string, unknown> }).details;
    logger.error({ modelPath: o.modelPath, error: (err as Error).message, ...details }, 'engine could not start');
    throw new DetectError('ENGINE_ERROR', (err as Error).message, { cause: err, ...(details ? { details } : {}) });
  }
  batchInput = info.inputs[0]?.name ?? '';
  spares = createOutputSpares(fixedOutputs(info.inputs, info.outputs), 2 * o.workers);
  return {
    provider: info.provider,
    skippedProviders: info.skipped,
    inputs: info.inputs,
    outputs: info.outputs,
    metadata: info.metadata,
    sessionMs: info.sessionMs,
    get workerCount() {
      return pool.counts().prepared;
    },
    get queued() {
      return queue.length;
    },
    get outputsReused() {
      return outputsReused;
    },
    health() {
      if (closing) return { state: 'unavailable', reason: 'engine is closed' };
      const c = pool.counts();
      return c.prepared > 0 ? { state: 'ready' } : { state: 'unavailable', reason: unavailableReason(c, o.workers) };
    },
    run,
    releaseOutputs(outputs) {
      if (produced.delete(outputs) && !closing) spares!.give(outputs);
    },
    close,
  };
}

// Outputs a caller released, kept for the next run of the same shape: sent with it
// (transferred) for the thread to write into, instead of a new allocation per batch (2.8 MB per
// yolov8n image) that would end up as external memory on this thread, driving its GCs.
// Only outputs whose shape is known before a run qualify (`fixedOutputs`).
const OUTPUT_ARRAYS: Partial<Record<TensorDType, new (n: number) => TensorArray>> = {
  float32: Float32Array, float16: Uint16Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array, int64: BigInt64Array, bool: Uint8Array,
};

export interface FixedOutput {
  readonly name: string;
  readonly dtype: TensorDType;
  /** The typed array its data is. */
  readonly Array: new (n: number) => TensorArray;
  /** Its dims for a run whose first input has batch size `batch`. */
  dims(batch: number): number[];
}

/**
 * Outputs whose shape is known before the run: every dim a number, except a first dim that
 * carries the same name as the first input's (the batch). Others (data-dependent shapes) are left
 * for ORT to allocate.
 */
export function fixedOutputs(inputs: readonly TensorInfo[], outputs: readonly TensorInfo[]): FixedOutput[] {
  const batchName = inputs[0]?.shape[0];
  return outputs
    .filter((o) => OUTPUT_ARRAYS[o.dtype] && o.shape.every((d, i) => typeof d === 'number' || (i === 0 && typeof batchName === 'string' && d === batchName)))
    .map((o) => ({ name: o.name, dtype: o.dtype, Array: OUTPUT_ARRAYS[o.dtype]!, dims: (batch) => o.shape.map((d) => (typeof d === 'number' ? d : batch)) }));
}

interface OutputSpares {
  /** Keeps the fixed outputs of `outputs` (detached from the caller at once), at most `keep` per shape. */
  give(outputs: TensorMap): void;
  /** Spare outputs for a run of `batch`, or undefined. */
  take(batch: number): TensorMap | undefined;
}

function createOutputSpares(fixed: readonly FixedOutput[], keep: number): OutputSpares {
  const spare = new Map<string, TensorArray[]>();
  const key = (name: string, dims: readonly number[]) => `${name}/${dims.join('x')}`;
  return {
    give(outputs) {
      for (const o of fixed) {
        const t = outputs[o.name];
        if (!t || t.dtype !== o.dtype || !(t.data instanceof o.Array) || key(o.name, t.dims) !== key(o.name, o.dims(t.dims[0] ?? 0))) continue;
        const buf = t.data.buffer;
        if (!(buf instanceof ArrayBuffer) || t.data.byteOffset !== 0 || t.data.byteLength !== buf.byteLength) continue;
        const list = spare.get(key(o.name, t.dims)) ?? [];
        if (list.length >= keep) continue;
        // Moved, not copied: the caller's view reads as empty from now on, never as a later run's values.
        const mine = structuredClone(buf, { transfer: [buf] });
        list.push(new (t.data.constructor as new (b: ArrayBuffer) => TensorArray)(mine));
        spare.set(key(o.name, t.dims), list);
      }
    },
    take(batch) {
      let out: Record<string, Tensor> | undefined;
      for (const o of fixed) {
        const dims = o.dims(batch);
        const data = spare.get(key(o.name, dims))?.pop();
        if (data) (out ??= {})[o.name] = { dtype: o.dtype, dims, data };
      }
      return out;
    },
  };
}

// Checks EngineOptions once, at createEngine, and fills in the defaults.
const PROVIDERS: readonly ExecutionProvider[] = ['tensorrt', 'cuda', 'webgpu', 'cpu'];
const LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

export interface ResolvedEngineOptions {
  readonly modelPath: string;
  readonly providers: readonly ExecutionProvider[];
  readonly workers: number;
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  readonly enableMemArena: boolean;
  readonly allowSpinning: boolean;
  /** Input name -> normalise options baked into the graph; empty when none. */
  readonly preprocessInGraph: NormalizeFeeds;
  readonly logger: EngineLogger;
  readonly restartBackoff: RestartBackoff;
  readonly closeTimeoutMs: number;
  readonly clock: Clock;
}

export function resolveEngineOptions(o: EngineOptions): ResolvedEngineOptions {
  if (typeof o.modelPath !== 'string' || o.modelPath === '') {
    throw invalidParameterError('modelPath', 'non-empty string', o.modelPath);
  }
  const providers = o.providers ?? ENGINE_DEFAULTS.providers;
  if (!Array.isArray(providers) || providers.length === 0) {
    throw invalidParameterError('providers', 'non-empty array of providers', providers);
  }
  providers.forEach((p, i) => expectOneOf(`providers[${i}]`, p, PROVIDERS));
  return {
    modelPath: o.modelPath,
    providers: [...providers],
    workers: expectInteger('workers', o.workers ?? ENGINE_DEFAULTS.workers, 1, 64),
    intraOpThreads: expectInteger('intraOpThreads', o.intraOpThreads ?? ENGINE_DEFAULTS.intraOpThreads, 0, 256),
    interOpThreads: expectInteger('interOpThreads', o.interOpThreads ?? ENGINE_DEFAULTS.interOpThreads, 0, 256),
    graphOptimizationLevel: expectOneOf(
      'graphOptimizationLevel',
      o.graphOptimizationLevel ?? ENGINE_DEFAULTS.graphOptimizationLevel,
      LEVELS,
    ),
    enableMemArena: o.enableMemArena ?? ENGINE_DEFAULTS.enableMemArena,
    allowSpinning: o.allowSpinning ?? ENGINE_DEFAULTS.allowSpinning,
    preprocessInGraph: resolveInGraph(o.preprocessInGraph),
    logger: o.logger ?? SILENT_LOGGER,
    restartBackoff: {
      baseDelayMs: expectNumber('restartBackoff.baseDelayMs', o.restartBackoff?.baseDelayMs ?? ENGINE_DEFAULTS.restartBackoff.baseDelayMs, 1),
      maxDelayMs: expectNumber('restartBackoff.maxDelayMs', o.restartBackoff?.maxDelayMs ?? ENGINE_DEFAULTS.restartBackoff.maxDelayMs, 1),
    },
    closeTimeoutMs: expectNumber('closeTimeoutMs', o.closeTimeoutMs ?? ENGINE_DEFAULTS.closeTimeoutMs, 0),
    clock: o.clock ?? createSystemClock(),
  };
}

/** Bad options fail here, once, not in every worker; plain copies, as they go to workers. */
function resolveInGraph(given: EngineOptions['preprocessInGraph']): NormalizeFeeds {
  if (given === undefined) return {};
  if (typeof given !== 'object' || given === null) throw invalidParameterError('preprocessInGraph', 'object of normalize options by input name', given);
  return Object.fromEntries(Object.entries(given).map(([name, o]) => (planNormalize(o), [name, { ...o }])));
}

/**
 * What a thread gets as workerData: named one by one, so that a main-thread-only option (a
 * logger, the clock: functions) can never reach structured clone by accident.
 */
export function workerInit(o: ResolvedEngineOptions): WorkerInit {
  const { modelPath, intraOpThreads, interOpThreads, graphOptimizationLevel, enableMemArena, allowSpinning, preprocessInGraph } = o;
  return { modelPath, intraOpThreads, interOpThreads, graphOptimizationLevel, enableMemArena, allowSpinning, preprocessInGraph };
}

// Between the engine (main thread) and an engine thread. Runs are piscina tasks; preparing the
// session and releasing it go over the thread's control port (infra/workers.ts). Tensors travel
// as core Tensors whose ArrayBuffers are transferred, never copied.
/** Options only the main thread uses; `providers` reach a thread with its StartWith. */
export type MainThreadOnly = 'providers' | 'workers' | 'logger' | 'restartBackoff' | 'closeTimeoutMs' | 'clock';

/** workerData of every engine thread: what it needs to create its session. */
export type WorkerInit = Omit<ResolvedEngineOptions, MainThreadOnly>;

export interface SkippedProvider {
  readonly provider: ExecutionProvider;
  readonly reason: string;
}

/** By input name: feeds of uint8 [B, H, W, 3] pixels the thread normalises (checked by run()). */
export type NormalizeFeeds = Readonly<Record<string, Partial<NormalizeOptions>>>;

/** What a thread prepares with (infra/workers.ts `prepare`): providers to try in order. */
export interface StartWith {
  readonly providers: readonly ExecutionProvider[];
}

/** A thread's answer once its session exists (the first thread's tells the engine its provider and the model). */
export interface ReadyInfo {
  readonly provider: ExecutionProvider;
  readonly skipped: readonly SkippedProvider[];
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly metadata: Record<string, string>;
  readonly sessionMs: number;
}

/** One run, a piscina task. `spare`: released outputs of this run's shape, to write into. */
export interface RunTask {
  readonly feeds: TensorMap;
  readonly normalize?: NormalizeFeeds;
  readonly spare?: TensorMap;
}

/**
 * `returned`: the normalised feeds' pixel buffers, handed back for reuse (also on failure);
 * `reused`: outputs written into `spare` buffers.
 */
export type RunReply =
  | { readonly outputs: TensorMap; readonly reused: number; readonly returned?: TensorMap }
  | { readonly error: string; readonly returned?: TensorMap };

// The run-time check for inputs whose graph normalises itself (`preprocessInGraph`): such an
// input only takes uint8 pixels, and only with the normalise options baked into the graph at
// load. A float feed would be refused by ORT with a dtype message that does not say why, and
// other options would be silently ignored: both are refused at the engine boundary instead.
const planKey = (o: NormalizeFeeds[string] | undefined) => JSON.stringify(planNormalize(o));

export function expectInGraphFeeds(inGraph: NormalizeFeeds, normalize: EngineRunOptions['normalize']): void {
  for (const [name, baked] of Object.entries(inGraph)) {
    const given = normalize?.[name];
    if (!given) {
      throw new DetectError('INVALID_ARGUMENT', `input ${name} normalises in the model's graph (engine.preprocessInGraph): send uint8 [B,H,W,3] pixels with the normalize run option, not a preprocessed tensor`);
    }
    if (planKey(given) !== planKey(baked)) {
      throw new DetectError('INVALID_ARGUMENT', `input ${name}: normalize options ${JSON.stringify(given)} differ from those in the model's graph ${JSON.stringify(baked)} (engine.preprocessInGraph)`);
    }
  }
}
