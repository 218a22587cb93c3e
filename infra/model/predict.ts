/**
 * @module infra/model/predict
 * One loaded model as a ModelService: Ultralytics' named stages (decode -> preprocess -> queue ->
 * infer -> postprocess), each timed and reported per image. Detectors and classifiers share
 * every stage but the plan (letterbox or centre crop) and the postprocess (boxes or top-k).
 * Requests are validated here, before anything reaches the batcher or a worker; a request's
 * images (or tensor items) are admitted to the batcher all or none, and fail together.
 */
import { performance } from 'node:perf_hooks';
import { createDecoders, getDecoder } from '../../core/decode.js';
import { DetectError } from '../../core/errors.js';
import { type LetterboxPlan, planCrop, planLetterbox } from '../../core/geometry.js';
import { type ClassifyOptions, DEFAULT_CLASSIFY_OPTIONS, DEFAULT_DETECT_OPTIONS, type DetectOptions } from '../../core/options.js';
import { classScores, postprocessItem, topK } from '../../core/postprocess.js';
import { type DecodedImage, elementCount, type Tensor } from '../../core/types.js';
import type { WorkerEngine } from '../engine/engine.js';
import { settledWithin } from '../host.js';
import type { SharpDecoder } from '../image/decoder.js';
import type { ImagePlan } from '../image/pipeline.js';
import { createModelStats, type Metrics, type ModelStatsRecorder, type RequestTimings } from '../metrics.js';
import type { BatchedInference, InferItem, InferResult, TensorItem } from './batcher.js';
import { createPreprocessor, cropOptionsOf, inputSizeOf, letterboxOptionsOf, type Preprocessor } from './load.js';
import type { ModelManifest } from './manifest.js';
import { type ClassifyResult, type ColdStart, type DetectResult, type ModelDescription, type ModelService, type RequestContext, wrongTaskError } from './registry.js';

type Stages = { decode: number; preprocess: number; queue: number; infer: number; batchSize: number };

export interface ModelPipelineParts {
  readonly manifest: ModelManifest;
  readonly labels: readonly string[];
  readonly engine: WorkerEngine;
  readonly inference: BatchedInference;
  readonly decoder: SharpDecoder;
  readonly coldStart: ColdStart;
  /** The inspector's path: decode + letterbox + the engine's normalisation, for one image. @default createPreprocessor(manifest, decoder) */
  readonly preprocess?: Preprocessor;
  readonly metrics?: Metrics | undefined;
  /** Where request outcomes are recorded (the same recorder as the batched inference's onExecute). @default a fresh one */
  readonly stats?: ModelStatsRecorder;
}

export function createModelPipeline(p: ModelPipelineParts): ModelService {
  const { manifest, labels, engine, inference } = p;
  const inputSize = inputSizeOf(manifest);
  const letterbox = letterboxOptionsOf(manifest);
  const { task } = manifest;
  const crop = cropOptionsOf(manifest);
  const outputDecoder = getDecoder(createDecoders(), manifest.output.decoder);
  // The manifest's thresholds were checked when it was parsed.
  const defaults: DetectOptions = Object.freeze({ ...DEFAULT_DETECT_OPTIONS, ...manifest.thresholds });
  let closed = false;
  const series = { model: manifest.name, version: manifest.version };
  const stats = p.stats ?? createModelStats();
  const preprocess = p.preprocess ?? createPreprocessor(manifest, p.decoder);
  p.metrics?.watchQueueDepth(series, () => inference.depth);

  const description: ModelDescription = Object.freeze({
    name: manifest.name,
    version: manifest.version,
    task,
    ...(task === 'classify' ? { outputKind: manifest.output.kind } : {}),
    outputName: manifest.output.names[0]!,
    labels,
    inputSize,
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
    defaults,
  });

  /** The stage times of one item whose postprocess began at `tp`, recorded as metrics. */
  function timed(t0: number, tp: number, stages: Stages): DetectResult['timings'] {
    const now = performance.now();
    const timings = { decode: stages.decode, preprocess: stages.preprocess, queue: stages.queue, infer: stages.infer, postprocess: now - tp, total: now - t0 };
    p.metrics?.recordStages(series, timings);
    return timings;
  }

  /** Postprocesses one item, then releases its outputs (the detections hold no views into them). */
  function finish(t0: number, plan: LetterboxPlan, result: InferResult, options: DetectOptions, stages: Stages): DetectResult {
    const tp = performance.now();
    let detections;
    try {
      detections = postprocessItem(result.outputs, 0, plan, { decoder: outputDecoder, labels, options, outputNames: manifest.output.names });
    } finally {
      result.release();
    }
    return { model: manifest.name, version: manifest.version, image: plan.source, detections, timings: timed(t0, tp, stages), batchSize: stages.batchSize };
  }

  function finishClassify(t0: number, image: { width: number; height: number }, result: InferResult, k: number, stages: Stages): ClassifyResult {
    const tp = performance.now();
    let classes;
    try {
      classes = topK(classScores(result.outputs, description.outputName, 0, manifest.output.kind), k, labels);
    } finally {
      result.release();
    }
    return { model: manifest.name, version: manifest.version, image, classes, timings: timed(t0, tp, stages), batchSize: stages.batchSize };
  }

  /**
   * `call` for models of task `want`; the other task's call is refused before any work, naming
   * what to call instead, and (never having reached the model) is not counted in its statistics.
   */
  function forTask<A extends unknown[], R>(want: 'detect' | 'classify', call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    if (task === want) return call;
    return () => Promise.reject(wrongTaskError(manifest.name, task, want));
  }

  function checkOpen(ctx: RequestContext | undefined): void {
    if (closed) throw new DetectError('NOT_READY', `model ${manifest.name} is shutting down`, { retryAfterS: 1 });
    if (ctx?.signal?.aborted) throw new DetectError('CANCELLED', 'request cancelled by the client');
  }

  /**
   * One request's items through the batcher, all or none: queue slots for all of them are taken
   * before `prepare` runs (a 503 costs no decoding) and given back if it fails (an undecodable
   * image). The batcher fails the items together: the client leaving, the deadline or a failed
   * batch drops the siblings still queued, so work whose answer nobody reads is never run.
   */
  async function admitted(count: number, t0: number, ctx: RequestContext | undefined, prepare: () => Promise<InferItem[]>): Promise<InferResult[]> {
    checkOpen(ctx);
    // The manifest's timeout bounds callers that bring no deadline of their own (CLI, events).
    const deadline = ctx?.deadline ?? t0 + manifest.batching.timeoutMs;
    const slots = inference.reserve(count, { deadline, ...(ctx?.signal ? { signal: ctx.signal } : {}) });
    let items: InferItem[];
    try {
      items = await prepare();
    } catch (err) {
      slots.release();
      throw err;
    }
    return Promise.all(slots.submit(items));
  }

  /** Every request that reaches the model is counted once, as a success with its stage times or as a failure with its duration. */
  async function recorded<R extends { timings: DetectResult['timings'] }>(run: (t0: number) => Promise<R[]>): Promise<R[]> {
    const t0 = performance.now();
    stats.begin();
    try {
      const results = await run(t0);
      stats.succeeded(requestTimings(results, performance.now() - t0), results.length);
      return results;
    } catch (err) {
      stats.failed(performance.now() - t0);
      throw err;
    }
  }

  /** Images decoded to `planFor`'s plan, then through the batcher: each with its decode and result. */
  async function decodeAndInfer<P extends ImagePlan>(images: readonly Uint8Array[], planFor: (source: { width: number; height: number }) => P, t0: number, ctx: RequestContext | undefined) {
    let decoded: DecodedImage<P>[] = [];
    const results = await admitted(images.length, t0, ctx, async () => {
      decoded = await Promise.all(images.map((img) => p.decoder.decode(img, planFor, manifest.decode)));
      return decoded.map((d) => ({ pixels: d.pixels, size: d.plan.target, release: d.release }));
    });
    return results.map((r, i) => ({ r, d: decoded[i]!, stages: stagesOf(r, decoded[i]!.decodeMs) }));
  }

  const detectMany = forTask('detect', (images: readonly Uint8Array[], options: DetectOptions = defaults, ctx?: RequestContext) => recorded(async (t0) => {
    const items = await decodeAndInfer(images, (source) => planLetterbox(source, letterbox), t0, ctx);
    return items.map(({ r, d, stages }) => finish(t0, d.plan, r, options, stages));
  }));

  return {
    describe: () => description,
    // The engine's own health: a model whose workers are all dead is not ready, and says why.
    stats: stats.snapshot,
    health: () => (closed ? { state: 'closed', reason: 'shutting down' } : engine.health()),

    async detect(image, options, ctx) {
      return (await detectMany([image], options, ctx))[0]!;
    },
    detectMany,

    // Not admitted to the batcher: the model does not run, so it neither queues nor counts in stats.
    async preprocess(image, ctx) {
      checkOpen(ctx);
      return preprocess(image);
    },

    detectTensor: forTask('detect', (input: Tensor, options: DetectOptions = defaults, ctx?: RequestContext) => recorded(async (t0) => {
      const items = tensorItems(input, manifest, inputSize);
      const results = await admitted(items.length, t0, ctx, async () => items);
      const identity = planLetterbox(inputSize, { ...letterbox, scaleUp: false });
      return results.map((r) => finish(t0, identity, r, options, stagesOf(r, 0)));
    })),

    classifyMany: forTask('classify', (images: readonly Uint8Array[], options: ClassifyOptions = DEFAULT_CLASSIFY_OPTIONS, ctx?: RequestContext) => recorded(async (t0) => {
      const items = await decodeAndInfer(images, (source) => planCrop(source, crop), t0, ctx);
      return items.map(({ r, d, stages }) => finishClassify(t0, d.source, r, options.topK, stages));
    })),

    classifyTensor: forTask('classify', (input: Tensor, options: ClassifyOptions = DEFAULT_CLASSIFY_OPTIONS, ctx?: RequestContext) => recorded(async (t0) => {
      const items = tensorItems(input, manifest, inputSize);
      const results = await admitted(items.length, t0, ctx, async () => items);
      return results.map((r) => finishClassify(t0, inputSize, r, options.topK, stagesOf(r, 0)));
    })),

    async close() {
      if (closed) return;
      closed = true;
      // Batches in flight may finish, but not forever (a worker stuck in native code): closing
      // the engine then rejects what is left, which lets the batcher drain.
      const drained = inference.close();
      await settledWithin(drained, manifest.batching.timeoutMs);
      await engine.close();
      await drained;
    },
  };
}

const stagesOf = (r: InferResult, decodeMs: number): Stages =>
  ({ decode: decodeMs, preprocess: r.preprocessMs, queue: r.queueMs, infer: r.inferMs, batchSize: r.batchSize });

/**
 * One request's stage times in Triton's terms (model-stats.ts): its items run side by side, so
 * each stage is its slowest item's, except postprocess, which runs item after item.
 */
function requestTimings(results: readonly { timings: DetectResult['timings'] }[], totalMs: number): RequestTimings {
  const max = (f: (t: DetectResult['timings']) => number) => Math.max(0, ...results.map((r) => f(r.timings)));
  return {
    queueMs: max((t) => t.queue),
    computeInputMs: max((t) => t.decode + t.preprocess),
    computeInferMs: max((t) => t.infer),
    computeOutputMs: results.reduce((sum, r) => sum + r.timings.postprocess, 0),
    totalMs,
  };
}

/** Checks a preprocessed tensor ([N,3,H,W] or [3,H,W]) against the manifest; one view per item. */
function tensorItems(input: Tensor, manifest: ModelManifest, size: { width: number; height: number }): TensorItem[] {
  const item = [3, size.height, size.width];
  const dims = input.dims.length === 3 ? [1, ...input.dims] : [...input.dims];
  const want = `${manifest.input.dtype} [N,${item.join(',')}]`;
  // The rewritten graph's input is uint8 pixels: a float tensor has no way in (no exact inverse of the normalisation).
  if (manifest.engine.preprocessInGraph) {
    throw new DetectError('INVALID_ARGUMENT', `model ${manifest.name} normalises in its graph (engine.preprocessInGraph): send encoded images, not a preprocessed tensor`);
  }
  if (input.dtype !== manifest.input.dtype || dims.length !== 4 || !(dims[0]! >= 1) || dims.slice(1).some((d, i) => d !== item[i])) {
    throw new DetectError('INVALID_ARGUMENT', `input tensor must be ${want} for model ${manifest.name}, got ${input.dtype} [${input.dims.join(',')}]`);
  }
  if (input.data.length !== elementCount(dims)) {
    throw new DetectError('INVALID_ARGUMENT', `input tensor data has ${input.data.length} elements, shape [${dims.join(',')}] needs ${elementCount(dims)}`);
  }
  const per = elementCount(item);
  const data = input.data as Float32Array | Uint16Array;
  // Views: each is copied into its batch's float tensor.
  return Array.from({ length: dims[0]! }, (_, i) => ({ tensor: data.subarray(i * per, (i + 1) * per) }));
}
