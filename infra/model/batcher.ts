/**
 * @module infra/model/batcher
 * Batching, in two layers: a generic micro-batcher (createBatcher) and the model's batched
 * inference on top of it (createBatchedInference), from a request's items to per-item outputs.
 *
 * The micro-batcher follows Ray Serve's _BatchQueue semantics with BentoML's injection (the
 * clock, the batch function and the metrics hook come from the caller): a batch goes out when
 * it has maxBatchSize items or when its oldest item has waited maxQueueDelayUs, whichever is
 * first; one timer, nothing polls. Admission is per request: `reserve(n)` takes n queue slots
 * at once or none (QUEUE_FULL), so a request is never half queued, and its items share a
 * deadline and a signal and fail together. Expired and cancelled items never reach `run`; a
 * failing `run` fails only its own items; every promise settles.
 *
 * The batched inference packs each batch's pixels into a recycled SharedArrayBuffer (the engine
 * worker normalises them there), runs the engine once, and hands each item views of the output.
 */
import { type AssembledBatch, createBatchTensor, expectAllowedBatchSizes, packBatch, pickBatchSize, splitBatch } from '../../core/batch.js';
import { DetectError, expectInteger, expectOneOf, invalidParameterError, isInteger } from '../../core/errors.js';
import { type NormalizeOptions, planNormalize } from '../../core/normalize.js';
import { type Clock, elementCount, type Engine, type EngineRunOptions, type Tensor, type TensorMap, type TimerHandle } from '../../core/types.js';
import type { Size } from '../../core/geometry.js';
import { createSpareBuffers, sharedBytes } from '../host.js';
import type { ExecutionTimings } from '../metrics.js';

export interface BatchStats {
  /** Items that went to `run` (expired and cancelled ones are not counted). */
  readonly size: number;
  /** Per item, milliseconds from submit to the start of `run`. */
  readonly queueMs: readonly number[];
  readonly runMs: number;
  /** False when `run` threw or returned the wrong number of results. */
  readonly ok: boolean;
}

export interface BatcherOptions<I, O> {
  /** What the batcher serves, for its errors ("model yolov8n is shutting down"). @default 'batcher' */
  readonly name?: string;
  /** A batch goes out as soon as it has this many items. @default 8 */
  readonly maxBatchSize?: number;
  /** ...or when its oldest item has waited this long (µs). 0 sends at once. @default 10000 */
  readonly maxQueueDelayUs?: number;
  /** Queued (not yet running) and reserved items; a request that does not fit is rejected with QUEUE_FULL. @default 256 */
  readonly maxQueue?: number;
  /** Batches running at once; 2 lets the next batch's preparation overlap the current run. @default 2 */
  readonly maxInFlight?: number;
  /** Seconds a QUEUE_FULL rejection tells the client to wait. @default 1 */
  readonly retryAfterS?: number;
  readonly clock: Clock;
  /** Runs one batch; must return one result per item, in order. */
  readonly run: (items: I[]) => Promise<O[]>;
  readonly onBatch?: (stats: BatchStats) => void;
}

export interface SubmitOptions {
  /**
   * Clock milliseconds after which the items are dropped (DEADLINE_EXCEEDED) instead of run;
   * an item whose batch is already running is rejected at the deadline, not when the batch ends.
   */
  readonly deadline?: number;
  /** Aborting removes the items still queued (CANCELLED); a running batch is not interrupted. */
  readonly signal?: AbortSignal;
}

/** Queue slots held for one request's items, taken all at once (see Batcher.reserve). */
export interface Reservation<I, O> {
  /**
   * Queues the items (at most as many as reserved) under the reservation's deadline and signal,
   * one promise per item, and gives back any slot left over. Call once. The items fail
   * together: when one's batch fails, those still queued are dropped (CANCELLED), never run.
   */
  submit(items: readonly I[]): Promise<O>[];
  /** Gives the slots back unused (the request failed before its items were ready). Idempotent. */
  release(): void;
}

export interface Batcher<I, O> {
  /**
   * Holds `count` queue slots for one request, all or none: throws QUEUE_FULL (503) when they do
   * not fit beside the queued items and other reservations, INVALID_ARGUMENT when `count` is over
   * maxQueue (never admissible), CANCELLED / DEADLINE_EXCEEDED / NOT_READY as `submit` rejects.
   */
  reserve(count: number, options?: SubmitOptions): Reservation<I, O>;
  /** `reserve(items.length)` then `submit(items)`; a refusal rejects every promise. */
  submitMany(items: readonly I[], options?: SubmitOptions): Promise<O>[];
  submit(item: I, options?: SubmitOptions): Promise<O>;
  /** Items waiting for a batch. */
  readonly depth: number;
  /** Batches currently running. */
  readonly inFlight: number;
  /** Rejects queued items with NOT_READY and new ones from now on; resolves when running batches end. */
  close(): Promise<void>;
}

export const BATCHER_DEFAULTS = Object.freeze({
  maxBatchSize: 8,
  maxQueueDelayUs: 10_000,
  maxQueue: 256,
  maxInFlight: 2,
  retryAfterS: 1,
});

// Checks batcher options once, at creation, and fills in the defaults.
export interface ResolvedBatcherOptions {
  readonly maxBatchSize: number;
  readonly maxQueueDelayMs: number;
  readonly maxQueue: number;
  readonly maxInFlight: number;
  readonly retryAfterS: number;
}

function intAtLeast(name: string, v: unknown, min: number): number {
  if (!isInteger(v) || v < min) throw invalidParameterError(name, `integer >= ${min}`, v);
  return v;
}

export function resolveBatcherOptions<I, O>(o: BatcherOptions<I, O>): ResolvedBatcherOptions {
  if (typeof o.run !== 'function') throw invalidParameterError('run', 'function', o.run);
  const clock = o.clock as unknown;
  if (typeof clock !== 'object' || clock === null || typeof o.clock.now !== 'function') {
    throw invalidParameterError('clock', 'Clock', clock);
  }
  if (o.onBatch !== undefined && typeof o.onBatch !== 'function') throw invalidParameterError('onBatch', 'function', o.onBatch);
  return {
    maxBatchSize: intAtLeast('maxBatchSize', o.maxBatchSize ?? BATCHER_DEFAULTS.maxBatchSize, 1),
    maxQueueDelayMs: intAtLeast('maxQueueDelayUs', o.maxQueueDelayUs ?? BATCHER_DEFAULTS.maxQueueDelayUs, 0) / 1000,
    maxQueue: intAtLeast('maxQueue', o.maxQueue ?? BATCHER_DEFAULTS.maxQueue, 1),
    maxInFlight: intAtLeast('maxInFlight', o.maxInFlight ?? BATCHER_DEFAULTS.maxInFlight, 1),
    retryAfterS: intAtLeast('retryAfterS', o.retryAfterS ?? BATCHER_DEFAULTS.retryAfterS, 0),
  };
}

// `createBatcher`: a micro-batcher after Ray Serve's _BatchQueue. A batch goes out when it
// has maxBatchSize items or when its oldest item has waited maxQueueDelayUs, whichever is
// first; one timer is armed for the oldest item, nothing polls. Expired and cancelled items
// never reach `run`; a failing `run` fails only its own items; every promise settles.
//
// Admission is per request, not per item: `reserve(n)` takes n queue slots at once or none
// (QUEUE_FULL), so a request is never half queued, and the slots are held while the caller
// prepares its items (decodes images). The items of one reservation share a deadline and a
// signal: aborting drops those still queued; at the deadline those still queued are dropped
// and those in a running batch are rejected at once (the batch is no longer awaited for them);
// when a batch fails, the queued siblings of its items are dropped too (their request failed).
interface Entry<I, O> {
  readonly item: I;
  readonly enqueuedAt: number;
  readonly group: Group<I, O>;
  running: boolean;
  readonly resolve: (o: O) => void;
  readonly reject: (e: unknown) => void;
}

/** One reservation's submitted items that have not settled, with its deadline timer and abort listener. */
interface Group<I, O> {
  readonly options: SubmitOptions;
  readonly live: Set<Entry<I, O>>;
  timer?: TimerHandle;
  onAbort?: () => void;
}

export function createBatcher<I, O>(options: BatcherOptions<I, O>): Batcher<I, O> {
  const o = resolveBatcherOptions(options);
  const { clock, run, onBatch } = options;
  const name = options.name ?? 'batcher';
  const queue: Entry<I, O>[] = [];
  let reserved = 0;
  let inFlight = 0;
  let closed = false;
  let timer: { handle: TimerHandle; oldest: Entry<I, O> } | undefined;
  const drained: (() => void)[] = [];

  const disarm = () => {
    if (timer) clock.clearTimeout(timer.handle);
    timer = undefined;
  };

  /** Settles an entry once (a deadline may have rejected it while its batch ran). */
  const settle = (e: Entry<I, O>, outcome: { value: O } | { error: unknown }): void => {
    const g = e.group;
    if (!g.live.delete(e)) return;
    if ('value' in outcome) e.resolve(outcome.value);
    else e.reject(outcome.error);
    if (g.live.size === 0) {
      if (g.timer !== undefined) clock.clearTimeout(g.timer);
      if (g.onAbort) g.options.signal?.removeEventListener('abort', g.onAbort);
    }
  };

  /** Rejects a group's queued entries (and its running ones when `running`), removing them from the queue. */
  const drop = (g: Group<I, O>, error: (e: Entry<I, O>) => DetectError, running: boolean): void => {
    let removed = false;
    for (const e of [...g.live]) {
      if (e.running && !running) continue;
      const i = e.running ? -1 : queue.indexOf(e);
      if (i >= 0) (queue.splice(i, 1), (removed = true));
      settle(e, { error: error(e) });
    }
    if (removed) pump(); // the oldest item may have changed
  };

  const pump = (): void => {
    while (inFlight < o.maxInFlight && queue.length > 0) {
      const oldest = queue[0]!;
      const waited = clock.now() - oldest.enqueuedAt;
      if (queue.length < o.maxBatchSize && waited < o.maxQueueDelayMs) {
        if (timer?.oldest !== oldest) {
          disarm();
          timer = { oldest, handle: clock.setTimeout(() => ((timer = undefined), pump()), o.maxQueueDelayMs - waited) };
        }
        return;
      }
      disarm();
      dispatch(take());
    }
    if (queue.length === 0) disarm();
  };

  /** Up to maxBatchSize live items from the head; expired ones are failed on the way. */
  const take = (): Entry<I, O>[] => {
    const now = clock.now();
    const batch: Entry<I, O>[] = [];
    while (batch.length < o.maxBatchSize && queue.length > 0) {
      const e = queue.shift()!;
      const deadline = e.group.options.deadline;
      if (deadline !== undefined && now >= deadline) {
        settle(e, { error: new DetectError('DEADLINE_EXCEEDED', 'deadline passed while queued for a batch') });
      } else {
        e.running = true;
        batch.push(e);
      }
    }
    return batch;
  };

  const dispatch = (batch: Entry<I, O>[]): void => {
    if (batch.length === 0) return;
    inFlight++;
    const start = clock.now();
    const queueMs = batch.map((e) => start - e.enqueuedAt);
    let pending: Promise<O[]>;
    try {
      pending = Promise.resolve(run(batch.map((e) => e.item)));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending
      .then((out) => {
        if (!Array.isArray(out) || out.length !== batch.length) {
          const got = Array.isArray(out) ? out.length : typeof out;
          throw new DetectError('ENGINE_ERROR', `batch function returned ${got} results for ${batch.length} items`);
        }
        batch.forEach((e, i) => settle(e, { value: out[i]! }));
      })
      .then(
        () => finish(batch, queueMs, start, true),
        (err: unknown) => {
          for (const e of batch) settle(e, { error: err });
          // The request has failed: its items still queued would be computed for nobody.
          // Dropped now, before finish() lets the next batch take them.
          for (const g of new Set(batch.map((e) => e.group))) drop(g, () => new DetectError('CANCELLED', 'another item of the same request failed'), false);
          finish(batch, queueMs, start, false);
        },
      );
  };

  const finish = (batch: Entry<I, O>[], queueMs: number[], start: number, ok: boolean): void => {
    inFlight--;
    try {
      onBatch?.({ size: batch.length, queueMs, runMs: clock.now() - start, ok });
    } catch {
      // A metrics hook must not turn a finished batch into a hung one.
    }
    pump();
    if (inFlight === 0) for (const d of drained.splice(0)) d();
  };

  /** Why a reservation cannot take (or fill) its slots now, if it cannot. */
  const refusal = (opts: SubmitOptions): DetectError | undefined => {
    if (closed) return new DetectError('NOT_READY', `${name} is shutting down`, { retryAfterS: o.retryAfterS });
    if (opts.signal?.aborted) return new DetectError('CANCELLED', 'request was cancelled');
    if (opts.deadline !== undefined && clock.now() >= opts.deadline) {
      return new DetectError('DEADLINE_EXCEEDED', 'deadline passed before the request was queued');
    }
    return undefined;
  };

  const reserve = (count: number, opts: SubmitOptions = {}): Reservation<I, O> => {
    const refused = refusal(opts);
    if (refused) throw refused;
    if (count > o.maxQueue) {
      throw new DetectError('INVALID_ARGUMENT', `${count} items in one request, but at most ${o.maxQueue} can ever be queued (maxQueue)`, {
        details: { maxQueue: o.maxQueue },
      });
    }
    if (queue.length + reserved + count > o.maxQueue) {
      throw new DetectError('QUEUE_FULL', `queue is full (${queue.length + reserved} of ${o.maxQueue} slots taken, ${count} asked)`, {
        retryAfterS: o.retryAfterS,
        details: { maxQueue: o.maxQueue },
      });
    }
    reserved += count;
    let held = count;
    const release = () => ((reserved -= held), (held = 0));
    return {
      release,
      submit(items) {
        const slots = held;
        release();
        if (items.length > slots) throw new RangeError(`${items.length} items submitted on a reservation of ${slots}`);
        const error = refusal(opts);
        if (error) return items.map(() => Promise.reject(error));
        if (items.length === 0) return [];
        const g: Group<I, O> = { options: opts, live: new Set() };
        const now = clock.now();
        const promises = items.map(
          (item) => new Promise<O>((resolve, reject) => {
            const e: Entry<I, O> = { item, enqueuedAt: now, group: g, running: false, resolve, reject };
            g.live.add(e);
            queue.push(e);
          }),
        );
        if (opts.deadline !== undefined) {
          const expired = (e: Entry<I, O>) => new DetectError('DEADLINE_EXCEEDED', `deadline passed while ${e.running ? 'its batch was running' : 'queued for a batch'}`);
          g.timer = clock.setTimeout(() => drop(g, expired, true), opts.deadline - now);
        }
        if (opts.signal) {
          g.onAbort = () => drop(g, () => new DetectError('CANCELLED', 'request was cancelled'), false);
          opts.signal.addEventListener('abort', g.onAbort, { once: true });
        }
        pump();
        return promises;
      },
    };
  };

  const submitMany = (items: readonly I[], opts?: SubmitOptions): Promise<O>[] => {
    try {
      return reserve(items.length, opts).submit(items);
    } catch (err) {
      return items.map(() => Promise.reject(err));
    }
  };

  return {
    get depth() {
      return queue.length;
    },
    get inFlight() {
      return inFlight;
    },
    reserve,
    submitMany,
    submit: (item, opts) => submitMany([item], opts)[0]!,
    close(): Promise<void> {
      closed = true;
      disarm();
      for (const e of queue.splice(0)) settle(e, { error: new DetectError('NOT_READY', `${name} is shutting down`, { retryAfterS: o.retryAfterS }) });
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => drained.push(resolve));
    },
  };
}

// ---- engine batches ----
// The micro-batcher joined with core/batch and the Engine: concurrent requests' items become one
// padded batch, one engine run, and per-item views of the outputs. This thread only packs the
// uint8 pixels (a memcpy into a recycled SharedArrayBuffer) and the engine worker normalises them
// into a float tensor it reuses: no per-batch float allocation, no normalisation on the event
// loop. Items that are already model-input tensors (KServe's preprocessed path) ride the same
// batcher, queue bound and deadlines; a batch that holds both kinds runs as two engine calls.
// Items are trusted: pixels come from the service's decoder at the plan's target size, tensors
// from tensorItems (the one check of a preprocessed input, where it enters); the engine checks the
// packed batch once at its boundary.

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
