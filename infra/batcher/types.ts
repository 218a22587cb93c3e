/**
 * @module infra/batcher/types
 * Options and interface of the micro-batcher (Ray Serve's semantics, BentoML's injection:
 * the clock, the batch function and the metrics hook all come from the caller).
 */
import type { Clock } from '../../core/ports/index.js';

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
  /** A batch goes out as soon as it has this many items. @default 8 */
  readonly maxBatchSize?: number;
  /** ...or when its oldest item has waited this long (µs). 0 sends at once. @default 10000 */
  readonly maxQueueDelayUs?: number;
  /** Queued (not yet running) items; one more is rejected with QUEUE_FULL. @default 256 */
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
  /** Clock milliseconds after which the item is dropped (DEADLINE_EXCEEDED) instead of run. */
  readonly deadline?: number;
  /** Aborting removes a queued item (CANCELLED); a running batch is not interrupted. */
  readonly signal?: AbortSignal;
}

export interface Batcher<I, O> {
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
