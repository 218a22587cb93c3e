/**
 * @module infra/model/registry
 * The served models, and what handlers (HTTP, KServe, gRPC, S3 events, Lambda, CLI) see of each:
 * one ModelService, with no onnxruntime, sharp or batcher types. Handlers only call its methods
 * and map DetectErrors to responses.
 *
 * The registry exists (and the server listens, so liveness answers) before the models are
 * loaded; readiness turns true only when every model is fetched, cross-checked and warm, and is
 * read from one place (`status()`): /readyz, /v2/health/ready, /v1/models and the
 * detectfn_model_ready gauge all answer from it. A transient load failure is retried with
 * backoff (infra/model/load); a model that still cannot load fails `whenReady()` naming it, and
 * the entry points exit non-zero so the platform restarts the service.
 */
import { DetectError } from '../../core/errors.js';
import type { ClassifyOptions, DetectOptions } from '../../core/options.js';
import type { Tensor } from '../../core/types.js';
import { silentLogger } from '../config.js';
import { usableCores } from '../host.js';
import { createSharpDecoder, sharpCounters } from '../image/decoder.js';
import { describeJpegDecoder, type JpegDecoderChoice } from '../image/pipeline.js';
import type { ModelStatsSnapshot } from '../metrics.js';
import { createModelStore } from '../store/store.js';
import type { RequestContext } from './inference.js';
import { type ClassifyResult, createClassifyPredictor } from './classify.js';
import { createDetectPredictor, type DetectResult } from './detect.js';
import type { PreprocessedImage } from './inspect.js';
import { type ColdStart, DEFAULT_LOAD_RETRY_POLICY, loadModel, loadWithRetries, type Model, type ModelDescription } from './load.js';
import { defaultManifestForOnnx, loadManifest, type ModelManifest } from './manifest.js';

// A request's context: every surface builds it where the request arrives, and the model's
// batched inference drops what is past its deadline or whose client is gone.

/**
 * A request's context as every surface builds it where the request arrives: its deadline
 * `timeoutMs` (DETECTFN_REQUEST_TIMEOUT_MS) from arrival, and the signal that aborts when the
 * client goes away (over HTTP @hono/node-server aborts the Request's signal when the connection
 * closes: test/integration/admission.test.ts checks it with a real socket).
 */
export function requestContext(reqId: string, timeoutMs: number, signal: AbortSignal | undefined, now = performance.now()): RequestContext {
  return { reqId, deadline: now + timeoutMs, ...(signal ? { signal } : {}) };
}

/** `ctx` with its deadline brought forward to `arrival + ms` when that is sooner: a client's own timeout (grpc-timeout, KServe's `timeout`) never extends it. */
export function withClientTimeout(ctx: RequestContext, ms: number, arrival: number): RequestContext {
  const deadline = arrival + ms;
  return ctx.deadline !== undefined && ctx.deadline <= deadline ? ctx : { ...ctx, deadline };
}

/** Bounds the answer itself: whatever a stage does, the caller gets DEADLINE_EXCEEDED at the deadline. */
export function withDeadline<T>(work: Promise<T>, ctx: RequestContext): Promise<T> {
  if (ctx.deadline === undefined) return work;
  const ms = Math.max(0, ctx.deadline - performance.now());
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DetectError('DEADLINE_EXCEEDED', `request did not finish within its deadline`)), ms);
  });
  // The losing branch must not become an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * Whether a loaded model can serve right now, and if not why (for /readyz, /v1/models and
 * the KServe ready routes). `unavailable`: its engine has no live worker (replacements are
 * being retried); `closed`: it is shutting down.
 */
export interface ModelHealth {
  readonly state: 'ready' | 'unavailable' | 'closed';
  readonly reason?: string;
}

/** One configured model as readiness sees it: loading (maybe retrying), failed for good, or loaded. */
export interface ModelStatus {
  readonly name: string;
  /** The manifest's version; absent while the manifest has not been read. */
  readonly version?: string;
  readonly state: 'loading' | 'failed' | ModelHealth['state'];
  /** Why it is not ready: the last load error while retrying, the engine's reason, ... */
  readonly reason?: string;
}

export interface ModelService {
  describe(): ModelDescription;
  health(): ModelHealth;
  /** Triton-style statistics since start (infra/metrics): what /v2/models/{m}/stats and the Prometheus counters read. */
  stats(): ModelStatsSnapshot;
  /** Encoded image bytes (JPEG, PNG, WebP, ...) -> detections in source pixels. Options absent: the model's defaults. */
  detect(image: Uint8Array, options?: DetectOptions, ctx?: RequestContext): Promise<DetectResult>;
  /**
   * One request's images, admitted all or none: QUEUE_FULL before any is decoded when they do
   * not all fit in the queue; the first one that fails (undecodable, deadline, engine error,
   * client gone) rejects the call and its siblings still queued are dropped, never run.
   */
  detectMany(images: readonly Uint8Array[], options?: DetectOptions, ctx?: RequestContext): Promise<DetectResult[]>;
  /**
   * Already preprocessed model inputs ([N,C,H,W] or [C,H,W], the manifest's dtype and size) ->
   * one result per item, detections in model-input pixels (no letterbox to undo). The items go
   * through the same batcher, queue bound, deadline and cancellation as images, all or none.
   */
  detectTensor(input: Tensor, options?: DetectOptions, ctx?: RequestContext): Promise<DetectResult[]>;
  /** The inspector: the exact input tensor the engine would receive for this image, its plan, steps and per-channel stats; the model does not run. */
  preprocess(image: Uint8Array, ctx?: RequestContext): Promise<PreprocessedImage>;
  /**
   * A classifier's images (decoded, resized and centre-cropped as its manifest says), admitted
   * all or none as in detectMany. On a detector (and detect* on a classifier): WRONG_TASK.
   */
  classifyMany(images: readonly Uint8Array[], options?: ClassifyOptions, ctx?: RequestContext): Promise<ClassifyResult[]>;
  /** Already preprocessed classifier inputs ([N,C,H,W] or [C,H,W]), as detectTensor. */
  classifyTensor(input: Tensor, options?: ClassifyOptions, ctx?: RequestContext): Promise<ClassifyResult[]>;
  close(): Promise<void>;
}

/**
 * A loaded model as handlers see it: its task's predictor (infra/model/detect or classify), the
 * other task's calls refused before any work (WRONG_TASK, naming what to call instead, not counted
 * in the statistics), and what every model answers (description, health, statistics, inspector).
 */
export function serveModel(model: Model): ModelService {
  const { description, manifest, engine } = model;
  const { name, task } = description;
  const refuse = (want: Task) => () => Promise.reject(wrongTaskError(name, task, want));
  const detector = task === 'detect' ? createDetectPredictor(model) : undefined;
  const classifier = task === 'classify' ? createClassifyPredictor(model) : undefined;
  const detectMany = detector?.detectMany ?? refuse('detect');
  return {
    describe: () => description,
    // The engine's own health: a model whose workers are all dead is not ready, and says why.
    health: () => (model.closing.aborted ? { state: 'closed', reason: 'shutting down' } : engine.health()),
    stats: model.stats.snapshot,
    detect: async (image, options, ctx) => (await detectMany([image], options, ctx))[0]!,
    detectMany,
    detectTensor: detector?.detectTensor ?? refuse('detect'),
    classifyMany: classifier?.classifyMany ?? refuse('classify'),
    classifyTensor: classifier?.classifyTensor ?? refuse('classify'),
    // Not admitted to the batcher: the model does not run, so it neither queues nor counts in stats.
    async preprocess(image, ctx) {
      if (model.closing.aborted) throw new DetectError('NOT_READY', `model ${manifest.name} is shutting down`, { retryAfterS: 1 });
      if (ctx?.signal?.aborted) throw new DetectError('CANCELLED', 'request cancelled by the client');
      return model.inspect(image);
    },
    close: () => model.close(),
  };
}

/**
 * The served models. It exists (and the server listens) before the models are loaded, so
 * liveness answers during a cold start while readiness stays false until every model is warm.
 */
export interface ModelRegistry {
  /** Throws DetectError MODEL_NOT_FOUND naming the known models, NOT_READY while loading. */
  get(name: string): ModelService;
  /** Names of every configured model, loaded or not. */
  names(): readonly string[];
  /** The models loaded so far. */
  list(): readonly ModelService[];
  /** Every configured model's state, in configuration order (empty until manifests are read). */
  status(): readonly ModelStatus[];
  /** True when at least one model is configured and every one is `ready`. */
  allReady(): boolean;
  /** Resolves when every model is loaded and warm; rejects with the first load failure (after its retries), naming the model. */
  whenReady(): Promise<void>;
  /**
   * Shutdown has begun: readiness turns false at once (every model `closed`, "shutting down")
   * so load balancers stop sending, while the models keep serving what is in flight until close().
   */
  drain(): void;
  close(): Promise<void>;
}

export interface ModelRegistryOptions {
  /** Manifest paths (.json) or .onnx paths/URIs (which get a default YOLOv8 manifest). */
  readonly models: readonly string[];
  readonly cacheDir?: string;
  /** LRU bound of the model disk cache (DETECTFN_CACHE_MAX_BYTES). @default 4 GiB */
  readonly cacheMaxBytes?: number;
  readonly maxInputPixels?: number;
  /** Decode worker threads (infra/image); 0 decodes in the calling thread. @default decodeWorkersFor(usableCores().cores), infra/host */
  readonly decodeWorkers?: number;
  /** Who decodes plain JPEGs (infra/image/pipeline.ts). @default 'auto' */
  readonly jpegDecoder?: JpegDecoderChoice;
  /**
   * Tries per model load and the backoff between them; only transient failures (store
   * unreachable, 5xx, timeouts) are retried. @default 4 tries, waits up to 1, 2, 4 s
   */
  readonly loadRetries?: Partial<import('../store/store.js').RetryPolicy>;
  /** S3 connection for s3:// sources; default: the standard AWS environment. */
  readonly s3?: import('../store/store.js').S3Options;
  readonly logger?: import('../config.js').Logger;
  readonly metrics?: import('../metrics.js').Metrics;
}

// The served models. Returned at once, so the server can listen (liveness) while the models
// load; readiness turns true only when every model is fetched, cross-checked and warm.
// A transient load failure (store unreachable, 5xx, timeout) is retried with backoff, bounded
// by `loadRetries`; `status()` shows the model as loading with the last error meanwhile. A model
// that still cannot load fails `whenReady()` with an error naming it, and shows as failed: the
// entry points then exit non-zero, so the platform restarts the service.
const isManifestPath = (spec: string) => spec.toLowerCase().endsWith('.json');

/** A manifest path (.json), or a model path/URI that gets the default YOLOv8 manifest. */
export async function manifestFor(spec: string): Promise<ModelManifest> {
  return isManifestPath(spec) ? loadManifest(spec) : defaultManifestForOnnx(spec);
}

export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const logger = options.logger ?? silentLogger();
  const retryPolicy = { ...DEFAULT_LOAD_RETRY_POLICY, ...options.loadRetries };
  // One bound on retries: the store tries once per load attempt, the registry retries the load.
  const store = createModelStore({
    cacheDir: options.cacheDir ?? '/tmp/detectfn-cache',
    logger,
    retries: { attempts: 1 },
    ...(options.cacheMaxBytes !== undefined ? { maxCacheBytes: options.cacheMaxBytes } : {}),
    ...(options.s3 ? { s3: options.s3 } : {}),
  });
  const decoder = createSharpDecoder({
    ...(options.maxInputPixels ? { maxInputPixels: options.maxInputPixels } : {}),
    ...(options.decodeWorkers !== undefined ? { workers: options.decodeWorkers } : {}),
    ...(options.jpegDecoder !== undefined ? { jpegDecoder: options.jpegDecoder } : {}),
  });
  const cores = usableCores();
  logger.info(
    { jpegDecoder: decoder.jpeg, decodeWorkers: decoder.options.workers, cores: cores.cores, coresFrom: cores.source },
    `image decoder: JPEG by ${describeJpegDecoder(decoder.jpeg)}, ${decoder.options.workers} decode worker(s), ${cores.cores} usable core(s) (${cores.source})`,
  );
  options.metrics?.addGauge('detectfn_libvips_queue', 'Images waiting for a libvips thread', () => sharpCounters().queue);

  const loaded = new Map<string, ModelService>();
  /** Models not loaded yet: retrying (state loading + reason) or failed for good. */
  const pending = new Map<string, Omit<ModelStatus, 'name'>>();
  const configured: string[] = [];
  const versions = new Map<string, string>();
  let manifestsRead = false;
  let failed = false;
  const closing = new AbortController();

  const fail = (name: string, err: unknown): never => {
    failed = true;
    pending.set(name, { state: 'failed', reason: (err as Error)?.message ?? String(err) });
    for (const other of configured) {
      if (other !== name && !loaded.has(other) && pending.get(other)?.state !== 'failed') {
        pending.set(other, { state: 'failed', reason: `not loaded: model ${name} failed` });
      }
    }
    throw err;
  };

  const ready = (async () => {
    if (options.models.length === 0) throw new DetectError('CONFIG_INVALID', 'no models configured');
    const read = await Promise.allSettled(options.models.map(manifestFor));
    // A manifest that cannot be read is named by its path; every model is listed either way.
    configured.push(...read.map((r, i) => (r.status === 'fulfilled' ? r.value.name : options.models[i]!)));
    read.forEach((r) => r.status === 'fulfilled' && versions.set(r.value.name, r.value.version));
    manifestsRead = true;
    const bad = read.findIndex((r) => r.status === 'rejected');
    if (bad >= 0) fail(configured[bad]!, (read[bad] as PromiseRejectedResult).reason);
    const manifests = read.map((r) => (r as PromiseFulfilledResult<ModelManifest>).value);
    const duplicate = configured.find((n, i) => configured.indexOf(n) !== i);
    if (duplicate) fail(duplicate, new DetectError('CONFIG_INVALID', `two models are named ${duplicate}: model names must be unique`));
    // One at a time: session creation and warmup saturate the CPU; parallel loads only interleave.
    for (const [i, m] of manifests.entries()) {
      const adaptToModel = !isManifestPath(options.models[i]!);
      const service = await loadWithRetries(
        m.name,
        () => {
          if (closing.signal.aborted) throw new DetectError('NOT_READY', 'registry closed');
          return loadModel(m, { store, decoder, logger, metrics: options.metrics }, { adaptToModel }).then(serveModel);
        },
        { policy: retryPolicy, logger, signal: closing.signal, onRetry: (reason) => pending.set(m.name, { state: 'loading', reason }) },
      ).catch((err: unknown) => (closing.signal.aborted ? undefined : fail(m.name, err)));
      if (!service) return;
      if (closing.signal.aborted) {
        await service.close();
        return;
      }
      pending.delete(m.name);
      loaded.set(m.name, service);
    }
  })();
  // Reported by whoever awaits whenReady() (the entry points log it and exit); here it only marks the failure.
  ready.catch(() => void (failed = true));

  let draining = false;
  const status = (): ModelStatus[] =>
    configured.map((name) => {
      const version = versions.get(name);
      const id = version === undefined ? { name } : { name, version };
      if (draining) return { ...id, state: 'closed', reason: 'shutting down' };
      const m = loaded.get(name);
      return m ? { ...id, ...m.health() } : { ...id, state: 'loading', ...pending.get(name) };
    });
  options.metrics?.watchReadiness(() => status().map((s) => ({ model: s.name, version: s.version ?? '', ready: s.state === 'ready' })));

  return {
    get(name) {
      const m = loaded.get(name);
      if (m) return m;
      const p = pending.get(name);
      if (p?.state === 'failed') throw new DetectError('NOT_READY', `model ${name} failed to load: ${p.reason}`, { retryAfterS: 2 });
      if (configured.includes(name) || (!manifestsRead && !failed)) {
        throw new DetectError('NOT_READY', `model ${name} is still loading${p?.reason ? ` (${p.reason})` : ''}`, { retryAfterS: 2 });
      }
      const known = configured.length > 0 ? configured.join(', ') : '(none loaded yet)';
      throw new DetectError('MODEL_NOT_FOUND', `unknown model ${JSON.stringify(name)}; served models: ${known}`);
    },
    names: () => [...configured],
    list: () => [...loaded.values()],
    status,
    allReady: () => configured.length > 0 && status().every((s) => s.state === 'ready'),
    whenReady: () => ready,
    drain: () => void (draining = true),
    async close() {
      draining = true;
      closing.abort();
      await Promise.allSettled([ready]);
      await Promise.all([...loaded.values()].map((m) => m.close()));
      await decoder.close();
    },
  };
}

// The one WRONG_TASK error: a detector asked to classify or a classifier asked to detect. Every
// surface (the library's calls, the HTTP routes, KServe) says the same thing and differs only in
// what it tells the caller to use instead.
export type Task = 'detect' | 'classify';

const KIND: Record<Task, string> = { detect: 'a detector', classify: 'a classifier' };

/** `model colours is a classifier (task classify), not a detector: use classify`. */
export function wrongTaskError(model: string, task: Task, want: Task, useInstead: string = task, details: Record<string, unknown> = {}): DetectError {
  return new DetectError('WRONG_TASK', `model ${model} is ${KIND[task]} (task ${task}), not ${KIND[want]}: use ${useInstead}`, {
    details: { model, task, ...details },
  });
}

