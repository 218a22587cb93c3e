/**
 * @module infra/model/batcher
 * A micro-batcher after Ray Serve's _BatchQueue, with BentoML's injection (the clock, the batch
 * function and the metrics hook come from the caller, so it is tested on a fake clock without
 * sleeps). A batch goes out when it has maxBatchSize items or when its oldest item has waited
 * maxQueueDelayUs, whichever is first; one timer, nothing polls. Admission is per request:
 * `reserve(n)` takes n queue slots at once or none (QUEUE_FULL), so a request is never half
 * queued, and its items share a deadline and a signal and fail together. Expired and cancelled
 * items never reach `run`; a failing `run` fails only its own items; every promise settles.
 * It knows nothing of models: infra/model/inference puts the engine behind it.
 */
import { DetectError, invalidParameterError, isInteger } from '../../core/errors.js';
import type { Clock, TimerHandle } from '../../core/types.js';

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
