/**
 * @module infra/model/load
 * Bounded retries of one model's cold start, with infra/store's backoff (full jitter).
 * Transient failures (store unreachable, 5xx, throttling, timeouts, a truncated transfer) are
 * retried; permanent ones (manifest invalid, model/manifest mismatch, sha256 mismatch, file not
 * found) fail at once: retrying cannot fix them. While it waits, readiness shows why
 * ("attempt 2/4 failed: <error>; next in 2 s"); at the end the error names the model.
 */
import { performance } from 'node:perf_hooks';
import { readFile } from 'node:fs/promises';
import { normalizePixelBatch, pixelBatchShape } from '../../core/batch.js';
import { DetectError, isDetectError } from '../../core/errors.js';
import { type CropOptions, type CropPlan, type LetterboxOptions, type LetterboxPlan, planCrop, planLetterbox } from '../../core/geometry.js';
import { channelStats, type ChannelStats, describeSteps, type InverseSpec, planView, type PlanView, type PreprocessStep } from '../../core/inspect.js';
import { createNormalizer, type NormalizeOptions } from '../../core/normalize.js';
import type { Size } from '../../core/types.js';
import type { Logger } from '../config.js';
import { createEngine, warmupEngine } from '../engine/engine.js';
import { createSystemClock, intraOpThreadsFor } from '../host.js';
import type { SharpDecoder } from '../image/decoder.js';
import { createModelStats, type Metrics } from '../metrics.js';
import { expectInGraphInput } from '../onnx/graph.js';
import { readModelInfo } from '../onnx/model-info.js';
import { isTransient, type ModelStore, type RetryPolicy, withRetries } from '../store/store.js';
import { createBatchedInference } from './batcher.js';
import { adaptManifestToModel, checkInputRange, crossCheckManifest, expectedInputRange } from './cross-check.js';
import type { ModelManifest } from './manifest.js';
import { createModelPipeline } from './predict.js';
import type { ColdStart, ModelService } from './registry.js';

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

// ---- image-plans ----
// A manifest's geometry options, for serving and for the inspector alike: a detector's letterbox,
// a classifier's resize + centre crop. One place, so the inspector shows what serving does.
export function inputSizeOf(manifest: ModelManifest): Size {
  const [, , height, width] = manifest.input.shape as readonly number[];
  return { width: width!, height: height! };
}

export function letterboxOptionsOf(manifest: ModelManifest): Partial<LetterboxOptions> & { size: Size } {
  return { ...manifest.preprocess.letterbox, size: inputSizeOf(manifest) };
}

export function cropOptionsOf(manifest: ModelManifest): CropOptions {
  return {
    size: inputSizeOf(manifest),
    resize: manifest.preprocess.resize.mode,
    ...(manifest.preprocess.resize.size !== undefined ? { resizeTo: manifest.preprocess.resize.size } : {}),
    padValue: manifest.preprocess.crop.padValue,
  };
}

/** The plan serving makes for this manifest's task. */
export function imagePlanFor(manifest: ModelManifest): (source: Size) => LetterboxPlan | CropPlan {
  if (manifest.task === 'classify') {
    const crop = cropOptionsOf(manifest);
    return (source) => planCrop(source, crop);
  }
  const letterbox = letterboxOptionsOf(manifest);
  return (source) => planLetterbox(source, letterbox);
}

// ---- preprocess-image ----
// The inspector's half of a model: the EXACT tensor the engine receives for one image, without
// running the model. Same decoder, same plan (letterbox or crop, infra/runtime/image-plans), and the same normalisation call the
// engine worker makes (core/batch normalizePixelBatch with the options `normalizeOptions`
// builds for batched inference), for a batch of one. Nothing here reimplements a step.
export interface PreprocessedImage {
  readonly model: string;
  readonly version: string;
  readonly plan: PlanView;
  readonly steps: readonly PreprocessStep[];
  readonly tensor: {
    readonly name: string;
    readonly dtype: 'float32' | 'float16';
    /** [1, 3, H, W] */
    readonly shape: readonly number[];
    /** float16 as IEEE half bits, as the engine gets it. */
    readonly data: Float32Array | Uint16Array;
    readonly channels: readonly ChannelStats[];
  };
  /** How `tensor` becomes an 8-bit image again (see core/preprocess/view). */
  readonly inverse: InverseSpec;
  readonly timings: { readonly decode: number; readonly preprocess: number };
}

/** The normaliser options of a manifest: what batched inference sends the engine and warmup uses. */
export function normalizeOptions(manifest: ModelManifest): Partial<NormalizeOptions> {
  return {
    scale: manifest.preprocess.scale,
    ...(manifest.preprocess.mean ? { mean: manifest.preprocess.mean } : {}),
    ...(manifest.preprocess.std ? { std: manifest.preprocess.std } : {}),
    sourceOrder: 'rgb',
    modelOrder: manifest.preprocess.channelOrder,
  };
}

/**
 * The inverse for the view: with no mean/std and an expected input range [lo, hi], that range
 * maps to 0..255, so a tensor on the wrong scale shows white or black; otherwise the manifest's
 * own constants are undone.
 */
function inverseFor(manifest: ModelManifest, expected: readonly [number, number] | undefined): InverseSpec {
  const { scale, mean, std, channelOrder } = manifest.preprocess;
  if (expected && !mean && !std) return { scale: (expected[1] - expected[0]) / 255, mean: [-expected[0], -expected[0], -expected[0]], channelOrder };
  return { scale, mean, std, channelOrder };
}

export type Preprocessor = (bytes: Uint8Array) => Promise<PreprocessedImage>;

export function createPreprocessor(manifest: ModelManifest, decoder: SharpDecoder, expectedRange?: readonly [number, number]): Preprocessor {
  const size: Size = inputSizeOf(manifest);
  const planFor = imagePlanFor(manifest);
  const dtype = manifest.input.dtype as 'float32' | 'float16';
  const options = { ...normalizeOptions(manifest), dtype };
  const normalizer = createNormalizer();
  const inverse = inverseFor(manifest, expectedRange);
  return async (bytes) => {
    const decoded = await decoder.decode(bytes, planFor, manifest.decode);
    const t0 = performance.now();
    const pixels = { dtype: 'uint8' as const, dims: [1, size.height, size.width, 3], data: decoded.pixels };
    const shape = pixelBatchShape(pixels, options);
    const data = dtype === 'float16' ? new Uint16Array(3 * size.width * size.height) : new Float32Array(3 * size.width * size.height);
    normalizePixelBatch(decoded.pixels, shape, data, options, normalizer);
    const preprocess = performance.now() - t0;
    const plan = planView(decoded.plan);
    const spec = { kernel: decoder.options.resize, channelOrder: manifest.preprocess.channelOrder, scale: manifest.preprocess.scale, mean: manifest.preprocess.mean, std: manifest.preprocess.std, dtype };
    return {
      model: manifest.name,
      version: manifest.version,
      plan,
      steps: describeSteps(plan, spec),
      tensor: { name: manifest.input.name, dtype, shape: shape.dims, data, channels: channelStats(data, shape.dims) },
      inverse,
      timings: { decode: decoded.decodeMs, preprocess },
    };
  };
}

// ---- load-model ----
// Cold start of one model, in the order that fails fastest: manifest -> fetch (cache) ->
// read the ONNX file's own metadata and cross-check it against the manifest (the tensor-mapping
// trap, caught before any traffic) -> sessions in workers (provider fallback) -> warmup of every
// batch shape -> ready. Each phase is timed; the breakdown is logged and exported as metrics.
// The fetched file stays leased in the disk cache until the model is closed: a replacement
// engine worker reads it again, so eviction must not delete it while the model is served.
export interface LoadModelDeps {
  readonly store: ModelStore;
  readonly decoder: SharpDecoder;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export interface LoadModelOptions {
  /** The manifest is the default for a bare model path: take input/output facts from the file. */
  readonly adaptToModel?: boolean;
  /** Where pixels are normalised (BatchedInferenceOptions.preprocessIn); warmup takes the same path. @default 'engine' */
  readonly preprocessIn?: 'engine' | 'caller';
}

export async function loadModel(manifest: ModelManifest, deps: LoadModelDeps, options: LoadModelOptions = {}): Promise<ModelService> {
  const log = deps.logger.child({ model: manifest.name, version: manifest.version });
  const t0 = performance.now();

  const fetched = await deps.store.fetch(manifest.source.uri, manifest.source.sha256 ? { sha256: manifest.source.sha256 } : {});
  const downloadMs = performance.now() - t0;
  log.info({ uri: manifest.source.uri, bytes: fetched.bytes, cached: fetched.cached, downloadMs }, 'model fetched');
  try {
    const service = await startModel(manifest, fetched.path, { t0, downloadMs }, deps, options, log);
    return { ...service, close: () => service.close().finally(fetched.release) };
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
): Promise<ModelService> {
  let manifest = given;
  const { t0, downloadMs } = times;

  const info = readModelInfo(new Uint8Array(await readFile(modelPath)), manifest.source.uri);
  if (options.adaptToModel) manifest = adaptManifestToModel(manifest, info);
  const { labels: classLabels, warnings } = crossCheckManifest(manifest, info);
  for (const w of warnings) log.warn({ warning: w }, 'manifest cross-check');
  // Before any session starts: a manifest that scales pixels wrongly fails in milliseconds.
  const expectedRange = expectedInputRange(manifest, info);
  const preprocess = createPreprocessor(manifest, deps.decoder, expectedRange?.range);
  await checkInputRange(manifest, preprocess, expectedRange, log);
  const inGraph = manifest.engine.preprocessInGraph;
  const preprocessIn = options.preprocessIn ?? 'engine';
  if (inGraph) expectInGraphInput(info.inputs, manifest.input.name, manifest.source.uri);
  if (inGraph && preprocessIn === 'caller') {
    throw new DetectError('CONFIG_INVALID', `model ${manifest.name}: engine.preprocessInGraph needs pixels normalised in the engine, not preprocessIn 'caller'`);
  }
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
    const [, channels, height, width] = manifest.input.shape as readonly (number | string)[];
    const itemDims = [Number(channels), Number(height), Number(width)] as [number, number, number];
    const t2 = performance.now();
    if (manifest.warmup.enabled) {
      await warmupEngine(engine, {
        inputName: manifest.input.name,
        itemDims,
        batchSizes: manifest.batching.batchSizes,
        dtype,
        ...(preprocessIn === 'engine' ? { normalize } : {}),
        iterations: manifest.warmup.iterations,
        parallel: manifest.engine.workers,
        logger: log,
      });
    }
    const warmupMs = performance.now() - t2;
    const labels = { model: manifest.name, version: manifest.version };
    const coldStart: ColdStart = { downloadMs, sessionMs, warmupMs, totalMs: performance.now() - t0 };
    log.info({ coldStart }, 'model warm');
    for (const [phase, ms] of [['download', downloadMs], ['session', sessionMs], ['warmup', warmupMs], ['total', coldStart.totalMs]] as const) {
      deps.metrics?.setColdStart(labels, phase, ms);
    }

    // One recorder per model: the engine executions and the request outcomes land in it.
    const stats = createModelStats();
    const inference = createBatchedInference({
      engine,
      inputName: manifest.input.name,
      inputDims: itemDims,
      dtype,
      normalize,
      preprocessIn,
      batchSizes: manifest.batching.batchSizes,
      batcher: {
        maxQueueDelayUs: manifest.batching.maxQueueDelayUs,
        maxQueue: manifest.batching.maxQueue,
        maxInFlight: manifest.batching.maxInFlight,
      },
      clock: createSystemClock(),
      onBatch: (s) => deps.metrics?.recordBatch(labels, s.size, s.queueMs, s.runMs),
      onExecute: stats.executed,
    });
    deps.metrics?.watchModelStats(labels, stats.snapshot);
    return createModelPipeline({ manifest, labels: classLabels, engine, inference, decoder: deps.decoder, coldStart, preprocess, metrics: deps.metrics, stats });
  } catch (err) {
    await engine.close();
    throw err;
  }
}
