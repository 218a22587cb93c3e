/**
 * @module infra/runtime/load-model
 * Cold start of one model, in the order that fails fastest: manifest -> fetch (cache) ->
 * read the ONNX file's own metadata and cross-check it against the manifest (the tensor-mapping
 * trap, caught before any traffic) -> sessions in workers (provider fallback) -> warmup of every
 * batch shape -> ready. Each phase is timed; the breakdown is logged and exported as metrics.
 * The fetched file stays leased in the disk cache until the model is closed: a replacement
 * engine worker reads it again, so eviction must not delete it while the model is served.
 */
import { intraOpThreadsFor } from '../host/usable-cores.js';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { DetectError } from '../../core/errors/index.js';
import type { Logger } from '../log/index.js';
import { createModelStats, type Metrics } from '../metrics/index.js';
import { createEngine, warmupEngine } from '../engine/index.js';
import { adaptManifestToModel, crossCheckManifest, type ModelManifest } from '../manifest/index.js';
import { expectInGraphInput, readModelInfo } from '../onnx/index.js';
import type { ModelStore } from '../store/index.js';
import type { SharpDecoder } from '../image/index.js';
import { createSystemClock } from '../clock/index.js';
import { createBatchedInference } from './batched-inference.js';
import { checkInputRange, expectedInputRange } from './input-range.js';
import { createModelPipeline } from './model-pipeline.js';
import { createPreprocessor, normalizeOptions } from './preprocess-image.js';
import type { ColdStart, ModelService } from './model-service.js';

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
