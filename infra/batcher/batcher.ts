/**
 * @module infra/batcher/batcher
 * `createBatcher`: a micro-batcher after Ray Serve's _BatchQueue. A batch goes out when it
 * has maxBatchSize items or when its oldest item has waited maxQueueDelayUs, whichever is
 * first; one timer is armed for the oldest item, nothing polls. Expired and cancelled items
 * never reach `run`; a failing `run` fails only its own items; every promise settles.
 *
 * Admission is per request, not per item: `reserve(n)` takes n queue slots at once or none
 * (QUEUE_FULL), so a request is never half queued, and the slots are held while the caller
 * prepares its items (decodes images). The items of one reservation share a deadline and a
 * signal: aborting drops those still queued; at the deadline those still queued are dropped
 * and those in a running batch are rejected at once (the batch is no longer awaited for them);
 * when a batch fails, the queued siblings of its items are dropped too (their request failed).
 */
import { DetectError } from '../../core/errors/index.js';
import type { TimerHandle } from '../../core/ports/index.js';
import { resolveBatcherOptions } from './options.js';
import type { Batcher, BatcherOptions, Reservation, SubmitOptions } from './types.js';

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
    if (closed) return new DetectError('NOT_READY', 'batcher is closed');
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
      for (const e of queue.splice(0)) settle(e, { error: new DetectError('NOT_READY', 'batcher is closing') });
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => drained.push(resolve));
    },
  };
}
