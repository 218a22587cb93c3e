/**
 * @module infra/model/load
 * The model: what a cold start builds, what both predictors read, and what close() releases.
 *
 * Cold start of one model runs in the order that fails fastest: fetch (through the disk cache)
 * -> read the ONNX file's own interface and cross-check it against the manifest (the
 * tensor-mapping trap, caught before any traffic) -> the input-range check (a manifest that
 * scales pixels wrongly fails in milliseconds, before any session) -> sessions in engine workers
 * (provider fallback) -> warmup of every batch shape -> the engine batches (micro-batcher) ->
 * ready. Each phase is timed; the breakdown is logged and exported as metrics. Transient failures
 * are retried with backoff by `loadWithRetries`; permanent ones fail at once.
 *
 * The fetched file stays leased in the disk cache until the model is closed: a replacement
 * engine worker reads it again, so eviction must not delete it while the model is served.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { DetectError, isDetectError } from '../../core/errors.js';
import { DEFAULT_DETECT_OPTIONS, type DetectOptions } from '../../core/options.js';
import type { ClassifierOutputKind } from '../../core/postprocess.js';
import type { Size } from '../../core/geometry.js';
import type { Logger } from '../config.js';
import { createEngine, warmupEngine, type WorkerEngine } from '../engine/engine.js';
import { createSystemClock, intraOpThreadsFor, settledWithin } from '../host.js';
import type { SharpDecoder } from '../image/decoder.js';
import { createModelStats, createRequestRecorder, type Metrics, type ModelStatsRecorder, type RequestRecorder } from '../metrics.js';
import { expectInGraphInput } from '../onnx/graph.js';
import { readModelInfo } from '../onnx/model-info.js';
import { isTransient, type ModelStore, type RetryPolicy, withRetries } from '../store/store.js';
import { type BatchedInference, createBatchedInference } from './inference.js';
import { adaptManifestToModel, crossCheckManifest } from './cross-check.js';
import { checkInputRange, createPreprocessor, expectedInputRange, inputSizeOf, normalizeOptions, type Preprocessor } from './inspect.js';
import type { ModelManifest } from './manifest.js';

export interface ColdStart {
  readonly downloadMs: number;
  readonly sessionMs: number;
  readonly warmupMs: number;
  readonly totalMs: number;
}

/** What GET /v1/models/{model} and /v2/models/{m} report. */
export interface ModelDescription {
  readonly name: string;
  readonly version: string;
  /** What the model answers: detections (detect*) or classes (classify*). */
  readonly task: 'detect' | 'classify';
  /** Classifiers: what the model's first output holds (logits get a softmax). */
  readonly outputKind?: ClassifierOutputKind;
  /** The model output the classes are read from (classifiers) or the decoder's first. */
  readonly outputName: string;
  readonly labels: readonly string[];
  readonly inputSize: Size;
  readonly inputName: string;
  readonly inputDtype: string;
  /**
   * Whether a preprocessed tensor in `inputDtype` [N,3,H,W] is accepted besides encoded images.
   * False under `engine.preprocessInGraph`: the engine's graph takes uint8 pixels, so only images.
   */
  readonly tensorInput: boolean;
  readonly batchSizes: readonly number[];
  /** The micro-batcher's longest wait for a fuller batch (manifest batching.maxQueueDelayUs). */
  readonly maxQueueDelayUs: number;
  /** Items that may wait in the micro-batcher (manifest batching.maxQueue). */
  readonly maxQueue: number;
  /** Engine worker threads, each with its own session (manifest engine.workers). */
  readonly instances: number;
  readonly decoder: string;
  readonly provider: string;
  readonly skippedProviders: readonly { provider: string; reason: string }[];
  readonly warm: boolean;
  readonly coldStart: ColdStart | null;
  /** The options a request gets when it names none: the manifest's thresholds over Ultralytics' defaults. */
  readonly defaults: DetectOptions;
}

/** A loaded, warm model: what a predictor reads. */
export interface Model {
  readonly manifest: ModelManifest;
  readonly description: ModelDescription;
  /** Class names by class id (the manifest's, or the model's metadata). */
  readonly labels: readonly string[];
  readonly engine: WorkerEngine;
  readonly decoder: SharpDecoder;
  readonly inference: BatchedInference;
  /** Where each request's outcome and stage times are recorded (Triton statistics, Prometheus). */
  readonly requests: RequestRecorder;
  readonly stats: ModelStatsRecorder;
  /** The inspector: the exact engine input for one image. */
  readonly inspect: Preprocessor;
  /** Aborted when close() begins: predictors refuse new requests (NOT_READY). */
  readonly closing: AbortSignal;
  /** Lets batches in flight finish (bounded by the manifest's timeout), then stops the engine. */
  close(): Promise<void>;
}

/** The parts a model is made of: loadModel builds them; tests bring their own engine. */
export interface ModelParts {
  readonly manifest: ModelManifest;
  readonly labels: readonly string[];
  readonly engine: WorkerEngine;
  readonly inference: BatchedInference;
  readonly decoder: SharpDecoder;
  readonly coldStart: ColdStart | null;
  /** @default createPreprocessor(manifest, decoder) */
  readonly inspect?: Preprocessor;
  readonly metrics?: Metrics | undefined;
  /** The recorder the batched inference's onExecute feeds. @default a fresh one */
  readonly stats?: ModelStatsRecorder;
}

export function assembleModel(p: ModelParts): Model {
  const { manifest, labels, engine, inference } = p;
  const { task } = manifest;
  const series = { model: manifest.name, version: manifest.version };
  const stats = p.stats ?? createModelStats();
  p.metrics?.watchQueueDepth(series, () => inference.depth);
  const description: ModelDescription = Object.freeze({
    name: manifest.name,
    version: manifest.version,
    task,
    ...(task === 'classify' ? { outputKind: manifest.output.kind } : {}),
    outputName: manifest.output.names[0]!,
    labels,
    inputSize: inputSizeOf(manifest),
    inputName: manifest.input.name,
    inputDtype: manifest.input.dtype,
    tensorInput: !manifest.engine.preprocessInGraph,
    batchSizes: manifest.batching.batchSizes,
    maxQueueDelayUs: manifest.batching.maxQueueDelayUs,
    maxQueue: manifest.batching.maxQueue,
    instances: manifest.engine.workers,
    decoder: manifest.output.decoder,
    provider: engine.provider,
    skippedProviders: engine.skippedProviders,
    warm: true,
    coldStart: p.coldStart,
    // The manifest's thresholds were checked when it was parsed.
    defaults: Object.freeze({ ...DEFAULT_DETECT_OPTIONS, ...manifest.thresholds }),
  });
  const closing = new AbortController();
  let closed: Promise<void> | undefined;
  return {
    manifest,
    description,
    labels,
    engine,
    decoder: p.decoder,
    inference,
    stats,
    requests: createRequestRecorder(stats, p.metrics, series),
    inspect: p.inspect ?? createPreprocessor(manifest, p.decoder),
    closing: closing.signal,
    close() {
      closing.abort();
      return (closed ??= (async () => {
        // Batches in flight may finish, but not forever (a worker stuck in native code): closing
        // the engine then rejects what is left, which lets the batcher drain.
        const drained = inference.close();
        await settledWithin(drained, manifest.batching.timeoutMs);
        await engine.close();
        await drained;
      })());
    },
  };
}

export interface LoadModelDeps {
  readonly store: ModelStore;
  readonly decoder: SharpDecoder;
  readonly logger: Logger;
  readonly metrics?: Metrics | undefined;
}

export interface LoadModelOptions {
  /** The manifest is the default for a bare model path: take input/output facts from the file. */
  readonly adaptToModel?: boolean;
}

export async function loadModel(manifest: ModelManifest, deps: LoadModelDeps, options: LoadModelOptions = {}): Promise<Model> {
  const log = deps.logger.child({ model: manifest.name, version: manifest.version });
  const t0 = performance.now();
  const fetched = await deps.store.fetch(manifest.source.uri, manifest.source.sha256 ? { sha256: manifest.source.sha256 } : {});
  const downloadMs = performance.now() - t0;
  log.info({ uri: manifest.source.uri, bytes: fetched.bytes, cached: fetched.cached, downloadMs }, 'model fetched');
  try {
    const model = await startModel(manifest, fetched.path, { t0, downloadMs }, deps, options, log);
    return { ...model, close: () => model.close().finally(fetched.release) };
  } catch (err) {
    fetched.release();
    throw err;
  }
}

async function startModel(
  given: ModelManifest,
  modelPath: string,
  times: { t0: number; downloadMs: number },
  deps: LoadModelDeps,
  options: LoadModelOptions,
  log: Logger,
): Promise<Model> {
  const { t0, downloadMs } = times;
  const info = readModelInfo(new Uint8Array(await readFile(modelPath)), given.source.uri);
  const manifest = options.adaptToModel ? adaptManifestToModel(given, info) : given;
  const { labels, warnings } = crossCheckManifest(manifest, info);
  for (const w of warnings) log.warn({ warning: w }, 'manifest cross-check');
  const expectedRange = expectedInputRange(manifest, info);
  const inspect = createPreprocessor(manifest, deps.decoder, expectedRange?.range);
  await checkInputRange(manifest, inspect, expectedRange, log);
  const inGraph = manifest.engine.preprocessInGraph;
  if (inGraph) expectInGraphInput(info.inputs, manifest.input.name, manifest.source.uri);
  const dtype = manifest.input.dtype as 'float32' | 'float16';
  const normalize = normalizeOptions(manifest);

  const t1 = performance.now();
  const intraOpThreads = intraOpThreadsFor(manifest.engine.intraOpThreads, manifest.engine.workers);
  const engine = await createEngine({
    modelPath,
    providers: manifest.engine.providers,
    workers: manifest.engine.workers,
    intraOpThreads,
    interOpThreads: manifest.engine.interOpThreads,
    graphOptimizationLevel: manifest.engine.graphOptimizationLevel,
    enableMemArena: manifest.engine.enableMemArena,
    ...(inGraph ? { preprocessInGraph: { [manifest.input.name]: { ...normalize, dtype } } } : {}),
    logger: log,
  });
  const sessionMs = performance.now() - t1;
  log.info({ provider: engine.provider, skipped: engine.skippedProviders, sessionMs, intraOpThreads }, 'engine ready');

  try {
    const { width, height } = inputSizeOf(manifest);
    const t2 = performance.now();
    if (manifest.warmup.enabled) {
      // Pixel batches the engine normalises, as serving sends them: the worker's float tensors warm too.
      await warmupEngine(engine, {
        inputName: manifest.input.name,
        itemDims: [3, height, width],
        batchSizes: manifest.batching.batchSizes,
        dtype,
        normalize,
        iterations: manifest.warmup.iterations,
        parallel: manifest.engine.workers,
        logger: log,
      });
    }
    const warmupMs = performance.now() - t2;
    const series = { model: manifest.name, version: manifest.version };
    const coldStart: ColdStart = { downloadMs, sessionMs, warmupMs, totalMs: performance.now() - t0 };
    log.info({ coldStart }, 'model warm');
    for (const [phase, ms] of [['download', downloadMs], ['session', sessionMs], ['warmup', warmupMs], ['total', coldStart.totalMs]] as const) {
      deps.metrics?.setColdStart(series, phase, ms);
    }
    // One recorder per model: the engine executions and the request outcomes land in it.
    const stats = createModelStats();
    const inference = createBatchedInference({
      model: manifest.name,
      engine,
      inputName: manifest.input.name,
      inputDims: [3, height, width],
      dtype,
      normalize,
      acceptsTensors: !inGraph,
      timeoutMs: manifest.batching.timeoutMs,
      batchSizes: manifest.batching.batchSizes,
      batcher: {
        maxQueueDelayUs: manifest.batching.maxQueueDelayUs,
        maxQueue: manifest.batching.maxQueue,
        maxInFlight: manifest.batching.maxInFlight,
      },
      clock: createSystemClock(),
      ...(deps.metrics ? { onBatch: deps.metrics.batchObserver(series) } : {}),
      onExecute: stats.executed,
    });
    deps.metrics?.watchModelStats(series, stats.snapshot);
    return assembleModel({ manifest, labels, engine, inference, decoder: deps.decoder, coldStart, inspect, metrics: deps.metrics, stats });
  } catch (err) {
    await engine.close();
    throw err;
  }
}

// Bounded retries of one model's cold start, with infra/store's backoff (full jitter).
// Transient failures (store unreachable, 5xx, throttling, timeouts, a truncated transfer) are
// retried; permanent ones (manifest invalid, model/manifest mismatch, sha256 mismatch, file not
// found) fail at once: retrying cannot fix them. While it waits, readiness shows why
// ("attempt 2/4 failed: <error>; next in 2 s"); at the end the error names the model.

/** Registry default: 4 tries over about 7 s at most (waits up to 1, 2, 4 s). */
export const DEFAULT_LOAD_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({ attempts: 4, baseDelayMs: 1000, maxDelayMs: 15_000 });

export function isRetryableLoadError(err: unknown): boolean {
  // The store wraps what it gave up on as STORE_ERROR, keeping the network/SDK error as cause.
  if (isDetectError(err) && err.code === 'STORE_ERROR') return isTransient(err.cause);
  return isTransient(err);
}

export interface LoadRetryDeps {
  readonly policy: RetryPolicy;
  readonly logger: Logger;
  /** Aborted on close(): a backoff wait ends at once. */
  readonly signal: AbortSignal;
  /** The readiness reason while waiting for the next attempt. */
  readonly onRetry: (reason: string) => void;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** Runs `load` until it succeeds, fails permanently or runs out of attempts; the error names the model. */
export async function loadWithRetries<T>(model: string, load: () => Promise<T>, deps: LoadRetryDeps): Promise<T> {
  let attempts = 0;
  try {
    return await withRetries(
      (attempt) => {
        attempts = attempt;
        return load();
      },
      {
        policy: deps.policy,
        sleep: (ms) => abortableSleep(ms, deps.signal),
        random: deps.random ?? Math.random,
        isTransient: isRetryableLoadError,
        logger: deps.logger,
        context: { model },
        onRetry: (r) => deps.onRetry(`attempt ${r.attempt}/${r.attempts} failed: ${messageOf(r.err)}; next in ${waitText(r.delayMs)}`),
      },
    );
  } catch (err) {
    throw loadFailedError(model, err, attempts);
  }
}

/** The same code (so callers still switch on it), a message that names the model and the tries. */
function loadFailedError(model: string, err: unknown, attempts: number): DetectError {
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new DetectError(isDetectError(err) ? err.code : 'INTERNAL', `model ${model} failed to load${tries}: ${messageOf(err)}`, {
    cause: err,
    details: { ...(isDetectError(err) ? err.details : {}), model, attempts },
  });
}

const waitText = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${+(ms / 1000).toFixed(1)} s`);

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
