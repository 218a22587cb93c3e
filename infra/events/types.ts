/**
 * @module infra/events/types
 * The event processor's options and what it reports per record.
 */
import type { DetectOptions } from '../../core/options/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { ClassifyOptions, ModelService } from '../runtime/model-service.js';
import type { RetryPolicy } from '../store/index.js';
import type { Destination, ObjectStore } from './object-store.js';

/** One object to process; handlers/events ObjectRecord fits, and so does a listing entry. */
export interface EventRecord {
  readonly bucket: string;
  readonly key: string;
  readonly eTag?: string | undefined;
  readonly versionId?: string | undefined;
  readonly size?: number | undefined;
  /** The event's sequencer: a later event for the key has a greater one (infra/events/ordering). */
  readonly sequencer?: string | undefined;
  /** The SQS message it came in (for batchItemFailures). */
  readonly messageId?: string | undefined;
}

export type RecordStatus = 'processed' | 'skipped' | 'failed' | 'cancelled';

export interface RecordOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly messageId?: string | undefined;
  readonly status: RecordStatus;
  /** skipped: a current result exists, a later event's result is stored, or the key is one of our own outputs. */
  readonly reason?: 'already-done' | 'superseded' | 'own-output';
  /** processed / already-done: where the result is. */
  readonly resultKey?: string;
  /** processed, by a detector: how many detections the result holds. */
  readonly detections?: number;
  /** processed, by a classifier: the best class's label. */
  readonly topClass?: string | undefined;
  /** failed: what went wrong; the error record is at errorKey (absent if that write failed too). */
  readonly error?: { readonly code: string; readonly message: string; readonly attempts: number };
  readonly errorKey?: string;
}

export interface EventProcessorOptions {
  /** Looked up per record, so a model that is still loading fails with NOT_READY, not undefined. */
  readonly model: () => ModelService;
  /** Where the records' objects are read from. */
  readonly input: ObjectStore;
  readonly output: Destination;
  readonly errors: Destination;
  /**
   * Buckets events may name (DETECTFN_EVENTS_BUCKETS); others are refused unread. With more
   * than one, outputs are keyed `<prefix><bucket>/<key>.json` so equal keys cannot collide.
   * @default undefined: any bucket, outputs keyed `<prefix><key>.json`
   */
  readonly buckets?: readonly string[];
  /** Objects downloaded and in detection at once (each holds its bytes in memory). @default 8 */
  readonly concurrency?: number;
  /** @default 20 MiB */
  readonly maxObjectBytes?: number;
  /** Options of a detector's `detect` (the model's defaults where absent). */
  readonly detectOptions?: Partial<DetectOptions>;
  /** Options of a classifier's `classifyMany` (DETECTFN_EVENTS_TOP_K). @default { topK: 5 } */
  readonly classifyOptions?: Partial<ClassifyOptions>;
  /** Retries of S3 operations (transient errors only). @default infra/store DEFAULT_RETRY_POLICY */
  readonly retries?: RetryPolicy;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Backoff waits. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Timestamps written into records. @default () => new Date() */
  readonly now?: () => Date;
}

export interface ProcessRunOptions {
  /** Once aborted, records not yet started are reported `cancelled` (nothing written for them). */
  readonly signal?: AbortSignal;
  /** Where this run's record lines go, e.g. a child carrying the request id. @default the processor's */
  readonly logger?: Logger;
  /** Called as each record finishes, in completion order (progress bars). */
  readonly onOutcome?: (outcome: RecordOutcome) => void;
}

export interface EventProcessor {
  /** Every record gets exactly one outcome; this never rejects because of one record. */
  process(records: readonly EventRecord[], run?: ProcessRunOptions): Promise<RecordOutcome[]>;
  /** Objects whose bytes are in memory now (at most `concurrency`). */
  inMemory(): number;
}
