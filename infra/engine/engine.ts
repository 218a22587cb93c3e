/**
 * @module infra/engine/engine
 * Options and the public shape of the worker-thread engine. The Engine contract itself lives
 * in core/ports/engine.ts; this adds what only the ONNX Runtime adapter knows about.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { DetectError, expectInteger, expectNumber, expectOneOf, invalidParameterError } from '../../core/errors.js';
import { type NormalizeOptions, planNormalize } from '../../core/normalize.js';
import { type Clock, elementCount, type Engine, type EngineRunOptions, type ExecutionProvider, type TensorDType, type TensorInfo, type TensorMap } from '../../core/types.js';
import { createSystemClock } from '../host.js';
import { createPool } from './pool.js';
import { type ReadyInfo, spawnWorker, type WorkerEvents } from './worker-client.js';

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
   * baked in: each worker rewrites the ONNX graph at load (infra/onnx/preprocess-graph.ts) so the
   * input takes uint8 [B, H, W, 3] pixels. Runs must then send those inputs as pixel feeds with
   * the same `normalize` options; the worker passes them through untouched. @default none
   */
  readonly preprocessInGraph?: EngineRunOptions['normalize'];
  /** @default silent */
  readonly logger?: EngineLogger;
  /**
   * Worker script; by default dist/engine-worker.js next to a bundle, or worker-main.ts
   * through tsx when running from source. @default resolved automatically
   */
  readonly workerScript?: string | URL;
  /** Honour `crashWorker` in run options (tests of crash recovery only). @default false */
  readonly allowCrashControl?: boolean;
  /**
   * Waits between attempts to replace a dead worker whose replacement failed to start: doubling
   * from the base up to the cap, retried for as long as the engine is open.
   * @default { baseDelayMs: 1000, maxDelayMs: 30000 }
   */
  readonly restartBackoff?: RestartBackoff;
  /** Longest wait for one worker thread to stop on close() before it is left behind. @default 5000 */
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

export interface WorkerEngineRunOptions extends EngineRunOptions {
  /** With `allowCrashControl`: the worker that takes this run exits instead of answering. */
  readonly crashWorker?: boolean;
}

/** The Engine contract plus what the pool can tell about itself. */
export interface WorkerEngine extends Engine {
  /** Live workers (a crashed one counts again once its replacement is ready). */
  readonly workerCount: number;
  /** Milliseconds the first worker took to create its session (cold start, fallback included). */
  readonly sessionMs: number;
  /** Requests waiting for an idle worker. */
  readonly queued: number;
  /** Outputs written into buffers given back with `releaseOutputs` (instead of newly allocated ones). */
  readonly outputsReused: number;
  /** `ready` while at least one worker is live; else `unavailable`, naming the last start failure. */
  health(): EngineHealth;
  run(feeds: Parameters<Engine['run']>[0], options?: WorkerEngineRunOptions): ReturnType<Engine['run']>;
}

export const ENGINE_DEFAULTS = Object.freeze({
  providers: Object.freeze(['cpu'] as ExecutionProvider[]),
  workers: 1,
  intraOpThreads: 0,
  interOpThreads: 0,
  graphOptimizationLevel: 'all' as GraphOptimizationLevel,
  enableMemArena: true,
  allowSpinning: true,
  allowCrashControl: false,
  restartBackoff: Object.freeze({ baseDelayMs: 1000, maxDelayMs: 30_000 }),
  closeTimeoutMs: 5000,
});

export const SILENT_LOGGER: EngineLogger = Object.freeze({ info() {}, warn() {}, error() {} });

// ---- warmup ----
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

// ---- worker-script ----
// Where the worker code is. In a bundle (dist/server.js, dist/cli.js) this module's URL ends
// in .js and the worker is the sibling bundle dist/engine-worker.js. From source (vitest,
// tsx) it ends in .ts and the worker is worker-dev.mjs, which registers tsx in the worker
// (Node 20 ignores `--import tsx` in a worker's execArgv) and imports worker-main.ts.
export interface WorkerScript {
  readonly url: URL;
}

export function resolveWorkerScript(override?: string | URL, here: string = import.meta.url): WorkerScript {
  const url = override === undefined ? defaultUrl(here) : toUrl(override);
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new Error(`engine worker script ${path} does not exist (run \`npm run build\`)`);
  return { url };
}

function defaultUrl(here: string): URL {
  return here.endsWith('.ts') ? new URL('./worker-dev.mjs', here) : new URL('./engine-worker.js', here);
}

function toUrl(p: string | URL): URL {
  if (p instanceof URL) return p;
  return p.startsWith('file:') ? new URL(p) : pathToFileURL(resolve(p));
}

// ---- create-engine ----
// `createEngine`: the Engine port on onnxruntime-node, sessions only inside worker threads.
// The first worker walks the provider preference list (our fallback; ORT has none) and the
// others start directly on the provider it settled on, so a missing CUDA is probed once.
export async function createEngine(options: EngineOptions): Promise<WorkerEngine> {
  const o = resolveEngineOptions(options);
  const { logger } = o;
  const init = workerInit(o);
  const script = resolveWorkerScript(options.workerScript);
  // Events only reach the pool once it exists; the first worker cannot crash-report before ready.
  const events: WorkerEvents = { idle: (c) => pool.events.idle(c), crashed: (c, r) => pool.events.crashed(c, r) };
  const first = spawnWorker(script, init, events);
  let info: ReadyInfo;
  try {
    info = await first.ready;
  } catch (err) {
    const skipped = (err as { skipped?: unknown }).skipped;
    logger.error({ modelPath: o.modelPath, error: (err as Error).message, skipped }, 'engine could not start');
    throw new DetectError('ENGINE_ERROR', (err as Error).message, { cause: err, details: { skipped } });
  }
  for (const s of info.skipped) logger.warn({ provider: s.provider, reason: s.reason }, 'execution provider skipped');
  logger.info({ provider: info.provider, sessionMs: info.sessionMs, workers: o.workers }, 'engine session ready');

  const chosen: WorkerInit = { ...init, providers: [info.provider] };
  const pool = createPool({ ...o, script, init: chosen, provider: info.provider });
  pool.pool.add(first);
  const rest = Array.from({ length: o.workers - 1 }, () => spawnWorker(script, chosen, pool.events));
  try {
    for (const w of await Promise.all(rest.map(async (w) => (await w.ready, w)))) pool.pool.add(w);
  } catch (err) {
    await Promise.all([pool.pool.close(), ...rest.map((w) => w.close(o.closeTimeoutMs))]);
    throw new DetectError('ENGINE_ERROR', `engine worker failed to start: ${(err as Error).message}`, { cause: err });
  }

  return {
    provider: info.provider,
    skippedProviders: info.skipped,
    inputs: info.inputs,
    outputs: info.outputs,
    metadata: info.metadata,
    sessionMs: info.sessionMs,
    get workerCount() {
      return pool.pool.size;
    },
    get queued() {
      return pool.pool.queued;
    },
    get outputsReused() {
      return pool.pool.outputsReused;
    },
    health: () => pool.pool.health(),
    run: (feeds, runOptions) => pool.pool.run(feeds, runOptions),
    releaseOutputs: (outputs) => pool.pool.releaseOutputs(outputs),
    close: () => pool.pool.close(),
  };
}

// ---- options ----
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
  readonly allowCrashControl: boolean;
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
    allowCrashControl: o.allowCrashControl ?? ENGINE_DEFAULTS.allowCrashControl,
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
 * What a worker gets as workerData: named one by one, so that a main-thread-only option (a
 * logger, the clock: functions) can never reach structured clone by accident.
 */
export function workerInit(o: ResolvedEngineOptions): WorkerInit {
  const { modelPath, providers, intraOpThreads, interOpThreads, graphOptimizationLevel, enableMemArena, allowSpinning, allowCrashControl, preprocessInGraph } = o;
  return { modelPath, providers, intraOpThreads, interOpThreads, graphOptimizationLevel, enableMemArena, allowSpinning, allowCrashControl, preprocessInGraph };
}

// ---- protocol ----
// Messages between the pool (main thread) and an engine worker. Tensors travel as core
// Tensors whose ArrayBuffers are in the postMessage transfer list, never copied.
/** Options only the main thread uses (the pool, restarts, close); never sent to a worker. */
export type MainThreadOnly = 'workers' | 'logger' | 'restartBackoff' | 'closeTimeoutMs' | 'clock';

/** Passed as workerData: everything a worker needs to create its session (the resolved options minus main-thread-only fields). */
export type WorkerInit = Omit<ResolvedEngineOptions, MainThreadOnly>;

export interface SkippedProvider {
  readonly provider: ExecutionProvider;
  readonly reason: string;
}

/** By input name: feeds of uint8 [B, H, W, 3] pixels the worker normalises (checked by the pool). */
export type NormalizeFeeds = Readonly<Record<string, Partial<NormalizeOptions>>>;

export type ToWorker =
  | { readonly type: 'run'; readonly id: number; readonly feeds: TensorMap; readonly normalize?: NormalizeFeeds; readonly crash?: boolean }
  // Outputs of an earlier run the caller is done reading: the worker writes later runs into them.
  | { readonly type: 'reuse'; readonly outputs: TensorMap }
  | { readonly type: 'close' };

export type FromWorker =
  | {
      readonly type: 'ready';
      readonly provider: ExecutionProvider;
      readonly skipped: readonly SkippedProvider[];
      readonly inputs: readonly TensorInfo[];
      readonly outputs: readonly TensorInfo[];
      readonly metadata: Record<string, string>;
      readonly sessionMs: number;
    }
  | { readonly type: 'init-failed'; readonly skipped: readonly SkippedProvider[]; readonly message: string }
  // `returned`: the normalised feeds' pixel buffers, handed back for reuse; `reused`: outputs written into buffers given back by 'reuse'.
  | { readonly type: 'result'; readonly id: number; readonly outputs: TensorMap; readonly reused: number; readonly runMs: number; readonly returned?: TensorMap }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly returned?: TensorMap };

/** Buffers to transfer for a tensor map (views into a shared or pooled buffer are not moved). */
export function transferList(tensors: TensorMap): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const t of Object.values(tensors)) {
    const buf = t.data.buffer;
    if (buf instanceof ArrayBuffer && !list.includes(buf)) list.push(buf);
  }
  return list;
}

// ---- in-graph-feeds ----
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
