/**
 * @module infra/runtime/batched-inference
 * Joins the micro-batcher, core/batch and the Engine: concurrent `infer` calls become one
 * padded batch, one engine run, and per-item views of the outputs. By default this thread only
 * packs the uint8 pixels (a memcpy into a recycled buffer) and the engine worker normalises them
 * into a float tensor it reuses: no per-batch float allocation, no normalisation on the event
 * loop. Items are checked at `infer`, so a bad one never fails a batch.
 */
import { assembleBatch, expectAllowedBatchSizes, packBatch, pickBatchSize, splitBatch, type AssembledBatch, type BatchItem } from '../../core/batch/index.js';
import { createNormalizer, planNormalize, type NormalizeOptions } from '../../core/normalize/index.js';
import type { Clock, Engine, EngineRunOptions, Tensor, TensorMap } from '../../core/ports/index.js';
import type { Size } from '../../core/types.js';
import { expectInteger, expectOneOf, invalidParameterError } from '../../core/validate/index.js';
import { BATCHER_DEFAULTS, createBatcher, type BatcherOptions, type BatchStats, type SubmitOptions } from '../batcher/index.js';
import { createPixelBuffers } from './pixel-buffers.js';

export interface BatchedInferenceOptions {
  readonly engine: Engine;
  readonly inputName: string;
  /** [C, H, W] of one item; C must be 3 (HWC RGB pixels in). */
  readonly inputDims: readonly [number, number, number];
  /** @default 'float32' */
  readonly dtype?: 'float32' | 'float16';
  /** @default DEFAULT_NORMALIZE (RGB, /255) */
  readonly normalize?: Partial<NormalizeOptions>;
  /**
   * Where pixels become the float input: 'engine' sends uint8 [B, H, W, 3] with the Engine run
   * option `normalize`; 'caller' normalises on this thread into a fresh float tensor (for
   * engines without `normalize`, and as the benchmark's baseline). @default 'engine'
   */
  readonly preprocessIn?: 'engine' | 'caller';
  /** Allowed batch sizes, increasing; a batch is padded to the nearest one. The largest is the batcher's maxBatchSize. */
  readonly batchSizes: readonly number[];
  readonly batcher?: Pick<BatcherOptions<unknown, unknown>, 'maxQueueDelayUs' | 'maxQueue' | 'maxInFlight' | 'retryAfterS'>;
  readonly clock: Clock;
  readonly onBatch?: (stats: BatchStats) => void;
}

export interface InferItem {
  /** HWC uint8 RGB, letterboxed to the model's input size. */
  readonly pixels: Uint8Array;
  readonly size: Size;
}

export interface InferResult {
  /** This item's outputs: [1, ...] views into the batch output (no copy). */
  readonly outputs: TensorMap;
  readonly queueMs: number;
  /** Engine time of the whole batch (the worker round trip included). */
  readonly inferMs: number;
  /** Building this batch on the calling thread: packing pixels ('engine'), or normalising them ('caller', which moves that time out of inferMs). */
  readonly preprocessMs: number;
  /** The padded batch size that ran. */
  readonly batchSize: number;
}

export interface BatchedInference {
  infer(item: InferItem, options?: SubmitOptions): Promise<InferResult>;
  readonly depth: number;
  readonly inFlight: number;
  close(): Promise<void>;
}

interface Queued {
  readonly item: InferItem;
  readonly submittedAt: number;
}

export function createBatchedInference(o: BatchedInferenceOptions): BatchedInference {
  const allowed = expectAllowedBatchSizes(o.batchSizes);
  const [c, h, w] = o.inputDims;
  if (c !== 3) throw invalidParameterError('inputDims[0]', '3 channels', c);
  expectInteger('inputDims[1]', h, 1);
  expectInteger('inputDims[2]', w, 1);
  const dtype = expectOneOf('dtype', o.dtype ?? 'float32', ['float32', 'float16'] as const);
  const where = expectOneOf('preprocessIn', o.preprocessIn ?? 'engine', ['engine', 'caller'] as const);
  // One options object for the life of the pipeline: normalizers cache their plan by identity.
  const normalize: Partial<NormalizeOptions> = Object.freeze({ ...o.normalize, dtype });
  planNormalize(normalize); // bad options fail here, not on the first batch
  const { engine, inputName, clock } = o;
  const prepare = where === 'engine' ? packInEngine(inputName, normalize, allowed, o.batcher?.maxInFlight ?? BATCHER_DEFAULTS.maxInFlight) : normalizeHere(allowed, normalize);

  const run = async (queued: Queued[]): Promise<InferResult[]> => {
    const start = clock.now();
    const { batch, runOptions } = prepare(queued.map((q) => q.item));
    const t1 = clock.now();
    const out = await engine.run({ [inputName]: batch.tensor }, runOptions);
    const inferMs = clock.now() - t1;
    const split: [string, Tensor[]][] = Object.entries(out).map(([name, t]) => [name, splitBatch(t, batch.count)]);
    return queued.map((q, i) => ({
      outputs: Object.fromEntries(split.map(([name, views]) => [name, views[i]!])),
      queueMs: start - q.submittedAt,
      inferMs,
      preprocessMs: t1 - start,
      batchSize: batch.batchSize,
    }));
  };

  const batcher = createBatcher<Queued, InferResult>({
    ...o.batcher,
    maxBatchSize: allowed[allowed.length - 1]!,
    clock,
    run,
    onBatch: o.onBatch,
  });

  return {
    infer(item, options) {
      if (!(item?.pixels instanceof Uint8Array)) return Promise.reject(invalidParameterError('pixels', 'Uint8Array', item?.pixels));
      if (item.size?.width !== w || item.size?.height !== h) {
        return Promise.reject(invalidParameterError('size', `${w}x${h} (the model input)`, `${item.size?.width}x${item.size?.height}`));
      }
      if (item.pixels.length !== w * h * 3) return Promise.reject(invalidParameterError('pixels.length', String(w * h * 3), item.pixels.length));
      return batcher.submit({ item, submittedAt: clock.now() }, options);
    },
    get depth() {
      return batcher.depth;
    },
    get inFlight() {
      return batcher.inFlight;
    },
    close: () => batcher.close(),
  };
}

type Prepare = (items: BatchItem[]) => { batch: AssembledBatch; runOptions: EngineRunOptions };

/** Pixels packed into a recycled uint8 buffer; the engine normalises (and hands the buffer back). */
function packInEngine(inputName: string, normalize: Partial<NormalizeOptions>, allowed: readonly number[], maxInFlight: number): Prepare {
  const buffers = createPixelBuffers(maxInFlight + 1);
  const runOptions: EngineRunOptions = Object.freeze({ normalize: Object.freeze({ [inputName]: normalize }), recycle: buffers.give });
  return (items) => {
    const { width, height } = items[0]!.size;
    const into = buffers.take(3 * width * height * pickBatchSize(items.length, allowed));
    return { batch: packBatch(items, allowed, into ? { into } : {}), runOptions };
  };
}

/** The float tensor built on this thread, fresh per batch: it is transferred (detached) on run. */
function normalizeHere(allowed: readonly number[], normalize: Partial<NormalizeOptions>): Prepare {
  const normalizer = createNormalizer();
  return (items) => ({ batch: assembleBatch(items, allowed, normalize, { normalizer }), runOptions: {} });
}
