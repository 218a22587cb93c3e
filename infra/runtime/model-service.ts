/**
 * @module infra/runtime/model-service
 * What handlers (HTTP, KServe, S3 events, CLI) see of a served model: one interface, no
 * onnxruntime, sharp or batcher types. `createModelService` (load-model.ts) builds it from a
 * manifest; handlers only call these methods and map DetectErrors to responses.
 */
import type { Classification, ClassifierOutputKind } from '../../core/classify/index.js';
import type { DetectOptions } from '../../core/options/index.js';
import type { Tensor } from '../../core/ports/tensor.js';
import type { Detection, Size, StageTimings } from '../../core/types.js';
import type { JpegDecoderChoice } from '../image/index.js';
import type { ModelStatsSnapshot } from '../metrics/model-stats.js';
import type { PreprocessedImage } from './preprocess-image.js';

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
  readonly defaults: DetectOptions;
}

export interface RequestContext {
  /** Absolute deadline on performance.now()'s clock; expired work is dropped, not run, and running work is no longer awaited. */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  readonly reqId?: string;
}

export interface DetectResult {
  readonly model: string;
  readonly version: string;
  /** Source size after EXIF orientation. */
  readonly image: Size;
  /** Sorted by score, boxes in source pixels. */
  readonly detections: Detection[];
  readonly timings: Required<Pick<StageTimings, 'decode' | 'preprocess' | 'queue' | 'infer' | 'postprocess' | 'total'>>;
  /** Images in the engine batch this image rode in (before padding). */
  readonly batchSize: number;
}

export interface ClassifyOptions {
  /** How many classes to answer, best first. @default 5 */
  readonly topK: number;
}

export interface ClassifyResult {
  readonly model: string;
  readonly version: string;
  /** Source size after EXIF orientation (the tensor's size for preprocessed input). */
  readonly image: Size;
  /** The top-k classes, best first; scores are probabilities (softmax of logits where the model answers logits). */
  readonly classes: Classification[];
  readonly timings: DetectResult['timings'];
  readonly batchSize: number;
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
  /** Triton-style statistics since start (infra/metrics/model-stats): what /v2/models/{m}/stats and the Prometheus counters read. */
  stats(): ModelStatsSnapshot;
  /** Encoded image bytes (JPEG, PNG, WebP, ...) -> detections in source pixels. */
  detect(image: Uint8Array, options: Partial<DetectOptions>, ctx?: RequestContext): Promise<DetectResult>;
  /**
   * One request's images, admitted all or none: QUEUE_FULL before any is decoded when they do
   * not all fit in the queue; the first one that fails (undecodable, deadline, engine error,
   * client gone) rejects the call and its siblings still queued are dropped, never run.
   */
  detectMany(images: readonly Uint8Array[], options: Partial<DetectOptions>, ctx?: RequestContext): Promise<DetectResult[]>;
  /**
   * Already preprocessed model inputs ([N,C,H,W] or [C,H,W], the manifest's dtype and size) ->
   * one result per item, detections in model-input pixels (no letterbox to undo). The items go
   * through the same batcher, queue bound, deadline and cancellation as images, all or none.
   */
  detectTensor(input: Tensor, options: Partial<DetectOptions>, ctx?: RequestContext): Promise<DetectResult[]>;
  /** The inspector: the exact input tensor the engine would receive for this image, its plan, steps and per-channel stats; the model does not run. */
  preprocess(image: Uint8Array, ctx?: RequestContext): Promise<PreprocessedImage>;
  /**
   * A classifier's images (decoded, resized and centre-cropped as its manifest says), admitted
   * all or none as in detectMany. On a detector (and detect* on a classifier): WRONG_TASK.
   */
  classifyMany(images: readonly Uint8Array[], options: Partial<ClassifyOptions>, ctx?: RequestContext): Promise<ClassifyResult[]>;
  /** Already preprocessed classifier inputs ([N,C,H,W] or [C,H,W]), as detectTensor. */
  classifyTensor(input: Tensor, options: Partial<ClassifyOptions>, ctx?: RequestContext): Promise<ClassifyResult[]>;
  close(): Promise<void>;
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
  /** Who decodes plain JPEGs (infra/image/turbojpeg.ts). @default 'auto' */
  readonly jpegDecoder?: JpegDecoderChoice;
  /**
   * Tries per model load and the backoff between them; only transient failures (store
   * unreachable, 5xx, timeouts) are retried. @default 4 tries, waits up to 1, 2, 4 s
   */
  readonly loadRetries?: Partial<import('../store/index.js').RetryPolicy>;
  /** S3 connection for s3:// sources; default: the standard AWS environment. */
  readonly s3?: import('../store/index.js').S3Options;
  readonly logger?: import('../log/index.js').Logger;
  readonly metrics?: import('../metrics/index.js').Metrics;
}
