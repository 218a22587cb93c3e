/**
 * @module infra/batcher/batcher
 * `createBatcher`: a micro-batcher after Ray Serve's _BatchQueue. A batch goes out when it
 * has maxBatchSize items or when its oldest item has waited maxQueueDelayUs, whichever is
 * first; one timer is armed for the oldest item, nothing polls. Expired and cancelled items
 * never reach `run`; a failing `run` fails only its own items; every promise settles.
 */
import { DetectError } from '../../core/errors/index.js';
import type { TimerHandle } from '../../core/ports/index.js';
import { resolveBatcherOptions } from './options.js';
import type { Batcher, BatcherOptions, SubmitOptions } from './types.js';

interface Entry<I, O> {
  readonly item: I;
  readonly enqueuedAt: number;
  readonly deadline: number | undefined;
  readonly resolve: (o: O) => void;
  readonly reject: (e: unknown) => void;
  /** Detaches the abort listener once the item leaves the queue. */
  release(): void;
}

export function createBatcher<I, O>(options: BatcherOptions<I, O>): Batcher<I, O> {
  const o = resolveBatcherOptions(options);
  const { clock, run, onBatch } = options;
  const queue: Entry<I, O>[] = [];
  let inFlight = 0;
  let closed = false;
  let timer: { handle: TimerHandle; oldest: Entry<I, O> } | undefined;
  const drained: (() => void)[] = [];

  const disarm = () => {
    if (timer) clock.clearTimeout(timer.handle);
    timer = undefined;
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
      e.release();
      if (e.deadline !== undefined && now >= e.deadline) {
        e.reject(new DetectError('DEADLINE_EXCEEDED', 'deadline passed while queued for a batch'));
      } else batch.push(e);
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
        batch.forEach((e, i) => e.resolve(out[i]!));
      })
      .then(
        () => finish(batch, queueMs, start, true),
        (err: unknown) => {
          for (const e of batch) e.reject(err);
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

  return {
    get depth() {
      return queue.length;
    },
    get inFlight() {
      return inFlight;
    },
    submit(item: I, opts: SubmitOptions = {}): Promise<O> {
      const { signal, deadline } = opts;
      if (closed) return Promise.reject(new DetectError('NOT_READY', 'batcher is closed'));
      if (signal?.aborted) return Promise.reject(new DetectError('CANCELLED', 'request was cancelled'));
      if (deadline !== undefined && clock.now() >= deadline) {
        return Promise.reject(new DetectError('DEADLINE_EXCEEDED', 'deadline passed before the request was queued'));
      }
      if (queue.length >= o.maxQueue) {
        return Promise.reject(
          new DetectError('QUEUE_FULL', `queue is full (${o.maxQueue} waiting)`, {
            retryAfterS: o.retryAfterS,
            details: { maxQueue: o.maxQueue },
          }),
        );
      }
      return new Promise<O>((resolve, reject) => {
        const onAbort = () => {
          const i = queue.indexOf(entry);
          if (i < 0) return;
          queue.splice(i, 1);
          reject(new DetectError('CANCELLED', 'request was cancelled'));
          pump(); // the oldest item may have changed
        };
        const entry: Entry<I, O> = {
          item,
          enqueuedAt: clock.now(),
          deadline,
          resolve,
          reject,
          release: () => signal?.removeEventListener('abort', onAbort),
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(entry);
        pump();
      });
    },
    close(): Promise<void> {
      closed = true;
      disarm();
      for (const e of queue.splice(0)) {
        e.release();
        e.reject(new DetectError('NOT_READY', 'batcher is closing'));
      }
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => drained.push(resolve));
    },
  };
}
