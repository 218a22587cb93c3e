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
