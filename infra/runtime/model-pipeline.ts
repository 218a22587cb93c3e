/**
 * @module infra/runtime/model-pipeline
 * One loaded model as a ModelService: Ultralytics' named stages (decode -> preprocess -> queue ->
 * infer -> postprocess), each timed and reported per image. Requests are validated here, before
 * anything reaches the batcher or a worker.
 */
import { performance } from 'node:perf_hooks';
import { DetectError } from '../../core/errors/index.js';
import { planLetterbox, type LetterboxPlan } from '../../core/letterbox/index.js';
import { createDecoders, getDecoder } from '../../core/decode/index.js';
import { parseDetectOptions, type DetectOptions } from '../../core/options/index.js';
import { postprocessItem } from '../../core/postprocess/index.js';
import { elementCount, type Tensor } from '../../core/ports/index.js';
import { settledWithin, type WorkerEngine } from '../engine/index.js';
import type { SharpDecoder } from '../image/index.js';
import type { ModelManifest } from '../manifest/index.js';
import type { Metrics } from '../metrics/index.js';
import type { BatchedInference } from './batched-inference.js';
import type { ColdStart, DetectResult, ModelDescription, ModelService, RequestContext } from './model-service.js';

export interface ModelPipelineParts {
  readonly manifest: ModelManifest;
  readonly labels: readonly string[];
  readonly engine: WorkerEngine;
  readonly inference: BatchedInference;
  readonly decoder: SharpDecoder;
  readonly coldStart: ColdStart;
  readonly metrics?: Metrics | undefined;
}

export function createModelPipeline(p: ModelPipelineParts): ModelService {
  const { manifest, labels, engine, inference } = p;
  const [, , height, width] = manifest.input.shape as readonly number[];
  const inputSize = { width: width!, height: height! };
  const letterbox = { ...manifest.preprocess.letterbox, size: inputSize };
  const outputDecoder = getDecoder(createDecoders(), manifest.output.decoder);
  const defaults: DetectOptions = parseDetectOptions({ ...manifest.thresholds });
  let closed = false;

  const description: ModelDescription = Object.freeze({
    name: manifest.name,
    version: manifest.version,
    labels,
    inputSize,
    inputName: manifest.input.name,
    inputDtype: manifest.input.dtype,
    batchSizes: manifest.batching.batchSizes,
    decoder: manifest.output.decoder,
    provider: engine.provider,
    skippedProviders: engine.skippedProviders,
    warm: true,
    coldStart: p.coldStart,
    defaults,
  });

  function finish(t0: number, plan: LetterboxPlan, outputs: Parameters<typeof postprocessItem>[0], options: DetectOptions, stages: { decode: number; preprocess: number; queue: number; infer: number; batchSize: number }): DetectResult {
    const tp = performance.now();
    const detections = postprocessItem(outputs, 0, plan, { decoder: outputDecoder, labels, options, outputNames: manifest.output.names });
    const now = performance.now();
    const timings = { decode: stages.decode, preprocess: stages.preprocess, queue: stages.queue, infer: stages.infer, postprocess: now - tp, total: now - t0 };
    p.metrics?.recordStages(manifest.name, timings);
    p.metrics?.setQueueDepth(manifest.name, inference.depth);
    return { model: manifest.name, version: manifest.version, image: plan.source, detections, timings, batchSize: stages.batchSize };
  }

  function checkOpen(ctx: RequestContext | undefined): void {
    if (closed) throw new DetectError('NOT_READY', `model ${manifest.name} is shutting down`, { retryAfterS: 1 });
    if (ctx?.signal?.aborted) throw new DetectError('CANCELLED', 'request cancelled by the client');
  }

  return {
    describe: () => description,
    // The engine's own health: a model whose workers are all dead is not ready, and says why.
    health: () => (closed ? { state: 'closed', reason: 'shutting down' } : engine.health()),

    async detect(image, options, ctx) {
      const t0 = performance.now();
      checkOpen(ctx);
      const opts = parseDetectOptions({ ...options }, defaults);
      const decoded = await p.decoder.decode(image, (source) => planLetterbox(source, letterbox));
      // The manifest's timeout bounds callers that bring no deadline of their own (CLI, events).
      const deadline = ctx?.deadline ?? t0 + manifest.batching.timeoutMs;
      const r = await inference.infer({ pixels: decoded.pixels, size: decoded.plan.target }, { deadline, ...(ctx?.signal ? { signal: ctx.signal } : {}) });
      return finish(t0, decoded.plan, r.outputs, opts, { decode: decoded.decodeMs, preprocess: r.preprocessMs, queue: r.queueMs, infer: r.inferMs, batchSize: r.batchSize });
    },

    async detectTensor(input, options, ctx) {
      const t0 = performance.now();
      checkOpen(ctx);
      const opts = parseDetectOptions({ ...options }, defaults);
      const tensor = asBatchOfOne(input, manifest, inputSize);
      const t1 = performance.now();
      const outputs = await engine.run({ [manifest.input.name]: tensor }, ctx?.signal ? { signal: ctx.signal } : {});
      const inferMs = performance.now() - t1;
      const identity = planLetterbox(inputSize, { ...letterbox, scaleUp: false });
      return finish(t0, identity, outputs, opts, { decode: 0, preprocess: t1 - t0, queue: 0, infer: inferMs, batchSize: 1 });
    },

    async close() {
      if (closed) return;
      closed = true;
      p.metrics?.setReady(manifest.name, false);
      // Batches in flight may finish, but not forever (a worker stuck in native code): closing
      // the engine then rejects what is left, which lets the batcher drain.
      const drained = inference.close();
      await settledWithin(drained, manifest.batching.timeoutMs);
      await engine.close();
      await drained;
    },
  };
}

/** Checks a preprocessed tensor against the manifest and pads it to the smallest allowed batch. */
function asBatchOfOne(input: Tensor, manifest: ModelManifest, size: { width: number; height: number }): Tensor {
  const item = [3, size.height, size.width];
  const dims = input.dims.length === 3 ? [1, ...input.dims] : [...input.dims];
  const want = `${manifest.input.dtype} [1,${item.join(',')}]`;
  if (input.dtype !== manifest.input.dtype || dims.length !== 4 || dims[0] !== 1 || dims.slice(1).some((d, i) => d !== item[i])) {
    throw new DetectError('INVALID_ARGUMENT', `input tensor must be ${want} for model ${manifest.name}, got ${input.dtype} [${input.dims.join(',')}]`);
  }
  if (input.data.length !== elementCount(dims)) {
    throw new DetectError('INVALID_ARGUMENT', `input tensor data has ${input.data.length} elements, shape [${dims.join(',')}] needs ${elementCount(dims)}`);
  }
  const batch = manifest.batching.batchSizes[0]!;
  if (batch === 1) return { dtype: input.dtype, dims, data: input.data.slice() as Tensor['data'] };
  const Ctor = input.data.constructor as new (n: number) => Tensor['data'];
  const padded = new Ctor(elementCount(dims) * batch);
  (padded as Float32Array).set(input.data as Float32Array);
  return { dtype: input.dtype, dims: [batch, ...item], data: padded };
}
