/**
 * @module infra/runtime/batched-inference
 * Joins the micro-batcher, core/batch and the Engine: concurrent `infer` calls become one
 * padded batch, one engine run, and per-item views of the outputs. By default this thread only
 * packs the uint8 pixels (a memcpy into a recycled buffer) and the engine worker normalises them
 * into a float tensor it reuses: no per-batch float allocation, no normalisation on the event
 * loop. Items that are already model-input tensors (KServe's preprocessed path) ride the same
 * batcher, queue bound and deadlines; a batch that holds both kinds runs as two engine calls
 * (pixels normalised in the engine, tensors copied into a float batch), one per kind.
 * Items are checked at submit, so a bad one never fails a batch.
 */
import { assembleBatch, createBatchTensor, expectAllowedBatchSizes, packBatch, pickBatchSize, splitBatch, type AssembledBatch, type BatchItem } from '../../core/batch/index.js';
import { createNormalizer, planNormalize, type NormalizeOptions } from '../../core/normalize/index.js';
import type { Clock, Engine, EngineRunOptions, Tensor, TensorMap } from '../../core/ports/index.js';
import type { Size } from '../../core/types.js';
import { expectInteger, expectOneOf, invalidParameterError } from '../../core/validate/index.js';
import { BATCHER_DEFAULTS, createBatcher, type BatcherOptions, type BatchStats, type Reservation, type SubmitOptions } from '../batcher/index.js';
import type { ExecutionTimings } from '../metrics/index.js';
import { createSpareBuffers, sharedBytes } from '../buffers/spare-buffers.js';

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
  /** Each engine execution (one per kind in a mixed batch): Triton's execution count and batch_stats. */
  readonly onExecute?: (t: ExecutionTimings) => void;
}

export interface PixelItem {
  /** HWC uint8 RGB, letterboxed to the model's input size. */
  readonly pixels: Uint8Array;
  readonly size: Size;
  /**
   * Called once `pixels` were copied into a batch (or normalised on this thread): from then on
   * nothing here reads them, and their owner may reuse them (the decoder's DecodedImage.release).
   */
  readonly release?: () => void;
}

export interface TensorItem {
  /** One preprocessed model input [3, H, W] in the model's dtype (float16 as IEEE half bits). */
  readonly tensor: Float32Array | Uint16Array;
}

export type InferItem = PixelItem | TensorItem;

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
  /**
   * Done reading `outputs`: once every item of the batch said so, the batch output goes back to
   * the engine for reuse (Engine.releaseOutputs). Only after the last read; calling it again is
   * harmless; not calling it only costs the reuse.
   */
  release(): void;
}

export interface BatchedInference {
  infer(item: InferItem, options?: SubmitOptions): Promise<InferResult>;
  /** Queue slots for one request's items, all or none (Batcher.reserve); QUEUE_FULL is thrown here. */
  reserve(count: number, options?: SubmitOptions): Reservation<InferItem, InferResult>;
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

  const packTensors = tensorBatch(allowed, [3, h, w], dtype);
  const prepareAndRelease = (items: PixelItem[]) => {
    const prepared = prepare(items);
    for (const item of items) item.release?.();
    return prepared;
  };
  /** One engine run for items of one kind. */
  const runKind = async (queued: Queued[], make: () => ReturnType<Prepare>): Promise<InferResult[]> => {
    const start = clock.now();
    const { batch, runOptions } = make();
    const t1 = clock.now();
    const out = await engine.run({ [inputName]: batch.tensor }, runOptions);
    const inferMs = clock.now() - t1;
    const t2 = clock.now();
    const split: [string, Tensor[]][] = Object.entries(out).map(([name, t]) => [name, splitBatch(t, batch.count)]);
    o.onExecute?.({ size: batch.count, computeInputMs: t1 - start, computeInferMs: inferMs, computeOutputMs: clock.now() - t2 });
    const release = releaseOnce(batch.count, () => engine.releaseOutputs?.(out));
    return queued.map((q, i) => ({
      release: release(),
      outputs: Object.fromEntries(split.map(([name, views]) => [name, views[i]!])),
      queueMs: start - q.submittedAt,
      inferMs,
      preprocessMs: t1 - start,
      batchSize: batch.batchSize,
    }));
  };

  const run = async (queued: Queued[]): Promise<InferResult[]> => {
    const pixels = queued.filter((q) => 'pixels' in q.item);
    const tensors = queued.filter((q) => 'tensor' in q.item);
    const [fromPixels, fromTensors] = await Promise.all([
      pixels.length > 0 ? runKind(pixels, () => prepareAndRelease(pixels.map((q) => q.item as PixelItem))) : [],
      tensors.length > 0 ? runKind(tensors, () => packTensors(tensors.map((q) => (q.item as TensorItem).tensor))) : [],
    ]);
    let p = 0;
    let t = 0;
    return queued.map((q) => ('pixels' in q.item ? fromPixels[p++]! : fromTensors[t++]!));
  };

  const batcher = createBatcher<Queued, InferResult>({
    ...o.batcher,
    maxBatchSize: allowed[allowed.length - 1]!,
    clock,
    run,
    onBatch: o.onBatch,
  });

  /** Why an item cannot go into a batch, checked before it is queued. */
  const invalid = (item: InferItem): Error | undefined => {
    if (item && 'tensor' in item) {
      const Want = dtype === 'float16' ? Uint16Array : Float32Array;
      if (!(item.tensor instanceof Want)) return invalidParameterError('tensor', `${Want.name} (${dtype} model input)`, item.tensor);
      if (item.tensor.length !== 3 * h * w) return invalidParameterError('tensor.length', String(3 * h * w), item.tensor.length);
      return undefined;
    }
    if (!(item?.pixels instanceof Uint8Array)) return invalidParameterError('pixels', 'Uint8Array', item?.pixels);
    if (item.size?.width !== w || item.size?.height !== h) {
      return invalidParameterError('size', `${w}x${h} (the model input)`, `${item.size?.width}x${item.size?.height}`);
    }
    if (item.pixels.length !== w * h * 3) return invalidParameterError('pixels.length', String(w * h * 3), item.pixels.length);
    return undefined;
  };

  const reserve = (count: number, options?: SubmitOptions): Reservation<InferItem, InferResult> => {
    const held = batcher.reserve(count, options);
    return {
      release: held.release,
      submit(items) {
        const bad = items.map(invalid).find((e) => e !== undefined);
        if (bad) return held.release(), items.map(() => Promise.reject(bad));
        const now = clock.now();
        return held.submit(items.map((item) => ({ item, submittedAt: now })));
      },
    };
  };

  return {
    infer(item, options) {
      try {
        return reserve(1, options).submit([item])[0]!;
      } catch (err) {
        return Promise.reject(err);
      }
    },
    reserve,
    get depth() {
      return batcher.depth;
    },
    get inFlight() {
      return batcher.inFlight;
    },
    close: () => batcher.close(),
  };
}

/** One `release` per item; `done` runs when all `count` of them were called. */
function releaseOnce(count: number, done: () => void): () => () => void {
  let left = count;
  return () => {
    let called = false;
    return () => {
      if (called) return;
      called = true;
      if (--left === 0) done();
    };
  };
}

type Prepare = (items: BatchItem[]) => { batch: AssembledBatch; runOptions: EngineRunOptions };

/** Pixels packed into a recycled uint8 buffer; the engine normalises (and hands the buffer back). */
function packInEngine(inputName: string, normalize: Partial<NormalizeOptions>, allowed: readonly number[], maxInFlight: number): Prepare {
  const buffers = createSpareBuffers(maxInFlight + 1);
  const recycle = (pixels: TensorMap) => Object.values(pixels).forEach((t) => t.data instanceof Uint8Array && buffers.give(t.data));
  const runOptions: EngineRunOptions = Object.freeze({ normalize: Object.freeze({ [inputName]: normalize }), recycle });
  return (items) => {
    const { width, height } = items[0]!.size;
    // On a SharedArrayBuffer: the engine worker reads it where it is, and it comes back without a copy or a new ArrayBuffer.
    const length = 3 * width * height * pickBatchSize(items.length, allowed);
    return { batch: packBatch(items, allowed, { into: buffers.take(length) ?? sharedBytes(length) }), runOptions };
  };
}

/** Preprocessed items copied into a fresh float batch (transferred on run); padding slots stay zero. */
function tensorBatch(allowed: readonly number[], chw: [number, number, number], dtype: 'float32' | 'float16') {
  return (items: (Float32Array | Uint16Array)[]): ReturnType<Prepare> => {
    const tensor = createBatchTensor(pickBatchSize(items.length, allowed), chw, dtype);
    const slot = chw[0] * chw[1] * chw[2];
    items.forEach((data, i) => (tensor.data as Float32Array | Uint16Array).set(data, i * slot));
    return { batch: { tensor, batchSize: tensor.dims[0]!, count: items.length }, runOptions: {} };
  };
}

/** The float tensor built on this thread, fresh per batch: it is transferred (detached) on run. */
function normalizeHere(allowed: readonly number[], normalize: Partial<NormalizeOptions>): Prepare {
  const normalizer = createNormalizer();
  return (items) => ({ batch: assembleBatch(items, allowed, normalize, { normalizer }), runOptions: {} });
}
