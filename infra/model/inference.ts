/**
 * @module infra/model/inference
 * The model's batched inference: the micro-batcher (infra/model/batcher) joined with core/batch
 * and the Engine, from a request's items to per-item outputs. Concurrent requests' items become
 * one padded batch, one engine run, and per-item views of the outputs. This thread only packs
 * the uint8 pixels (a memcpy into a recycled SharedArrayBuffer) and the engine worker normalises
 * them into a float tensor it reuses: no per-batch float allocation, no normalisation on the
 * event loop. Items that are already model-input tensors (KServe's preprocessed path) ride the
 * same batcher, queue bound and deadlines; a batch that holds both kinds runs as two engine calls.
 *
 * Validate once: pixel items come from the service's decoder at the plan's target size and are
 * trusted; a preprocessed tensor is checked once by `tensorItems`, where it enters; the engine
 * checks the packed batch once at its boundary.
 */
import { type AssembledBatch, createBatchTensor, elementCount, expectAllowedBatchSizes, packBatch, pickBatchSize, splitBatch } from '../../core/batch.js';
import { DetectError, expectInteger, expectOneOf, invalidParameterError } from '../../core/errors.js';
import type { Size } from '../../core/geometry.js';
import { type NormalizeOptions, planNormalize } from '../../core/normalize.js';
import type { Clock, Engine, EngineRunOptions, Tensor, TensorMap } from '../../core/types.js';
import { createSpareBuffers, sharedBytes } from '../host.js';
import type { ExecutionTimings } from '../metrics.js';
import { BATCHER_DEFAULTS, type BatcherOptions, type BatchStats, createBatcher, type Reservation, type SubmitOptions } from './batcher.js';

export interface BatchedInferenceOptions {
  /** The model's name, for the errors its callers see. @default 'model' */
  readonly model?: string;
  readonly engine: Engine;
  readonly inputName: string;
  /** [C, H, W] of one item; C is 3 (HWC RGB pixels in). */
  readonly inputDims: readonly [number, number, number];
  /** @default 'float32' */
  readonly dtype?: 'float32' | 'float16';
  /** How the engine normalises the pixels. @default DEFAULT_NORMALIZE (RGB, /255) */
  readonly normalize?: Partial<NormalizeOptions>;
  /** False when the engine's graph normalises uint8 pixels itself: no float tensor has a way in. @default true */
  readonly acceptsTensors?: boolean;
  /** The deadline of a request that brings none of its own (the CLI, events), from its admission. @default 30000 */
  readonly timeoutMs?: number;
  /** Allowed batch sizes, increasing (checked here, once); a batch is padded to the nearest. The largest is the batcher's maxBatchSize. */
  readonly batchSizes: readonly number[];
  readonly batcher?: Pick<BatcherOptions<unknown, unknown>, 'maxQueueDelayUs' | 'maxQueue' | 'maxInFlight' | 'retryAfterS'>;
  readonly clock: Clock;
  readonly onBatch?: (stats: BatchStats) => void;
  /** Each engine execution (one per kind in a mixed batch): Triton's execution count and batch_stats. */
  readonly onExecute?: (t: ExecutionTimings) => void;
}

export interface PixelItem {
  /** HWC uint8 RGB at the model's input size (letterboxed or cropped). */
  readonly pixels: Uint8Array;
  /**
   * Called once `pixels` were copied into a batch: from then on nothing here reads them, and
   * their owner may reuse them (the decoder's DecodedImage.release).
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
  /** Packing this item's batch on the calling thread. */
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

/** What a request brings to the model besides its inputs. */
export interface RequestContext {
  /** Absolute deadline on performance.now()'s clock; expired work is dropped, not run, and running work is no longer awaited. */
  readonly deadline?: number;
  /** The client's: aborting drops the request's items still queued. */
  readonly signal?: AbortSignal;
  readonly reqId?: string;
}

export interface BatchedInference {
  /**
   * One request's items through the batcher, all or none: queue slots for all of them are taken
   * before `prepare` runs (a QUEUE_FULL costs no decoding) and given back if it fails (an
   * undecodable image). The items fail together: the client leaving, the deadline or a failed
   * batch drops the siblings still queued, so work whose answer nobody reads is never run.
   */
  admit(count: number, ctx: RequestContext | undefined, prepare: () => Promise<InferItem[]>): Promise<InferResult[]>;
  /**
   * A preprocessed input ([N,3,H,W] or [3,H,W] in the model's dtype and size), checked once here
   * where it enters, as one view per item (each is copied into its batch's float tensor).
   */
  tensorItems(input: Tensor): TensorItem[];
  /** One item on its own (tests, warm paths). */
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

/** A packed batch and the run options that go with it. */
interface Packed {
  readonly batch: AssembledBatch;
  readonly runOptions: EngineRunOptions;
}

export function createBatchedInference(o: BatchedInferenceOptions): BatchedInference {
  const allowed = expectAllowedBatchSizes(o.batchSizes);
  const [c, h, w] = o.inputDims;
  if (c !== 3) throw invalidParameterError('inputDims[0]', '3 channels', c);
  expectInteger('inputDims[1]', h, 1);
  expectInteger('inputDims[2]', w, 1);
  const dtype = expectOneOf('dtype', o.dtype ?? 'float32', ['float32', 'float16'] as const);
  // One options object for the life of the model: normalizers cache their plan by identity.
  const normalize: Partial<NormalizeOptions> = Object.freeze({ ...o.normalize, dtype });
  planNormalize(normalize); // bad options fail here, not on the first batch
  const { engine, inputName, clock } = o;
  const model = o.model ?? 'model';
  const timeoutMs = o.timeoutMs ?? 30_000;
  const size: Size = { width: w, height: h };
  const packPixels = pixelPacker(inputName, normalize, size, allowed, o.batcher?.maxInFlight ?? BATCHER_DEFAULTS.maxInFlight);
  const packTensors = tensorPacker([3, h, w], dtype, allowed);

  /** One engine run for items of one kind. */
  const runKind = async (queued: Queued[], pack: () => Packed): Promise<InferResult[]> => {
    const start = clock.now();
    const { batch, runOptions } = pack();
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
      pixels.length > 0 ? runKind(pixels, () => packPixels(pixels.map((q) => q.item as PixelItem))) : [],
      tensors.length > 0 ? runKind(tensors, () => packTensors(tensors.map((q) => (q.item as TensorItem).tensor))) : [],
    ]);
    let p = 0;
    let t = 0;
    return queued.map((q) => ('pixels' in q.item ? fromPixels[p++]! : fromTensors[t++]!));
  };

  const batcher = createBatcher<Queued, InferResult>({
    ...o.batcher,
    name: `model ${model}`,
    maxBatchSize: allowed[allowed.length - 1]!,
    clock,
    run,
    onBatch: o.onBatch,
  });

  const reserve = (count: number, options?: SubmitOptions): Reservation<InferItem, InferResult> => {
    const held = batcher.reserve(count, options);
    return {
      release: held.release,
      submit(items) {
        const now = clock.now();
        return held.submit(items.map((item) => ({ item, submittedAt: now })));
      },
    };
  };

  return {
    async admit(count, ctx, prepare) {
      const slots = reserve(count, { deadline: ctx?.deadline ?? clock.now() + timeoutMs, ...(ctx?.signal ? { signal: ctx.signal } : {}) });
      let items: InferItem[];
      try {
        items = await prepare();
      } catch (err) {
        slots.release();
        throw err;
      }
      return Promise.all(slots.submit(items));
    },
    infer(item, options) {
      try {
        return reserve(1, options).submit([item])[0]!;
      } catch (err) {
        return Promise.reject(err);
      }
    },
    tensorItems(input) {
      // The rewritten graph's input is uint8 pixels: a float tensor has no way in (no exact inverse of the normalisation).
      if (o.acceptsTensors === false) {
        throw new DetectError('INVALID_ARGUMENT', `model ${model} normalises in its graph (engine.preprocessInGraph): send encoded images, not a preprocessed tensor`);
      }
      const item = [3, h, w];
      const dims = input.dims.length === 3 ? [1, ...input.dims] : [...input.dims];
      if (input.dtype !== dtype || dims.length !== 4 || !(dims[0]! >= 1) || dims.slice(1).some((d, i) => d !== item[i])) {
        throw new DetectError('INVALID_ARGUMENT', `input tensor must be ${dtype} [N,${item.join(',')}] for model ${model}, got ${input.dtype} [${input.dims.join(',')}]`);
      }
      if (input.data.length !== elementCount(dims)) {
        throw new DetectError('INVALID_ARGUMENT', `input tensor data has ${input.data.length} elements, shape [${dims.join(',')}] needs ${elementCount(dims)}`);
      }
      const per = elementCount(item);
      const data = input.data as Float32Array | Uint16Array;
      return Array.from({ length: dims[0]! }, (_, i) => ({ tensor: data.subarray(i * per, (i + 1) * per) }));
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

/**
 * Pixels packed into a recycled uint8 buffer on a SharedArrayBuffer: the engine worker reads it
 * where it is, normalises, and the buffer comes back (`recycle`) without a copy or a new ArrayBuffer.
 * Each item's pixels are released to their owner as soon as they are copied.
 */
function pixelPacker(inputName: string, normalize: Partial<NormalizeOptions>, size: Size, allowed: readonly number[], maxInFlight: number) {
  const buffers = createSpareBuffers(maxInFlight + 1);
  const recycle = (pixels: TensorMap) => Object.values(pixels).forEach((t) => t.data instanceof Uint8Array && buffers.give(t.data));
  const runOptions: EngineRunOptions = Object.freeze({ normalize: Object.freeze({ [inputName]: normalize }), recycle });
  return (items: PixelItem[]): Packed => {
    const length = 3 * size.width * size.height * pickBatchSize(items.length, allowed);
    const batch = packBatch(items.map((item) => ({ pixels: item.pixels, size })), allowed, { into: buffers.take(length) ?? sharedBytes(length) });
    for (const item of items) item.release?.();
    return { batch, runOptions };
  };
}

/** Preprocessed items copied into a fresh float batch (transferred on run); padding slots stay zero. */
function tensorPacker(chw: [number, number, number], dtype: 'float32' | 'float16', allowed: readonly number[]) {
  return (items: (Float32Array | Uint16Array)[]): Packed => {
    const tensor = createBatchTensor(pickBatchSize(items.length, allowed), chw, dtype);
    const slot = chw[0] * chw[1] * chw[2];
    items.forEach((data, i) => (tensor.data as Float32Array | Uint16Array).set(data, i * slot));
    return { batch: { tensor, batchSize: tensor.dims[0]!, count: items.length }, runOptions: {} };
  };
}
