/**
 * @module infra/events/processor
 * The event processor: object records in (S3 notifications, SQS messages, a backfill listing),
 * exactly one outcome per record out. S3 webhooks, Lambda, the SQS consumer and `detectfn batch`
 * all run their objects through it, so idempotency, ordering, error records and memory bounds
 * are one code path.
 *
 * One record, start to end (`processRecord`):
 * 1. skip our own outputs (results in the input bucket would trigger events of their own);
 * 2. refuse, unread, what infra/events/records' `refusal` refuses (bucket allowlist, keys whose
 *    result would land on another object's);
 * 3. one record per output key at a time: HEAD the result and the error record. Either written
 *    for a later event -> skip as superseded; a result for the same input ETag and model
 *    version -> skip as already done;
 * 4. holding a permit, GET the bytes (size-limited, the event's version) and run the model
 *    (a detector's `detect`, or a classifier's `classifyMany`);
 * 5. write the result in one PutObject, then remove the key's stale error record.
 * Any failure becomes an error record, a log line and a `failed` outcome; it never escapes to
 * the other records. S3 operations are retried on transient errors (infra/store's backoff).
 *
 * Two bounds keep a burst in check: `concurrency` permits around download + inference (the
 * objects in memory: a burst of 1,000 events holds at most that many images), and 4x as many
 * records in flight overall (HEADs and result writes, which hold no image), so S3 latency
 * overlaps inference instead of starving the batcher.
 */
import { expectInteger, isDetectError } from '../../core/errors.js';
import { type ClassifyOptions, DEFAULT_CLASSIFY_OPTIONS, type DetectOptions } from '../../core/options.js';
import { type Logger, silentLogger } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { ModelService } from '../model/registry.js';
import type { ClassifyResult } from '../model/classify.js';
import type { DetectResult } from '../model/detect.js';
import { DEFAULT_RETRY_POLICY, httpStatusOf, isTransient, type RetryPolicy, type StoreLogger, withRetries } from '../store/store.js';
import { type ErrorRecord, type InputRef, isCurrent, isSuperseded, orderMetadata, refusal, type RefusalRules, refusedRecordKey, resultKey, resultMetadata, type ResultRecord, storedSequencer } from './records.js';
import type { Destination, ObjectStore } from './stores.js';

/** One object to process; handlers/events ObjectRecord fits, and so does a listing entry. */
export interface EventRecord {
  readonly bucket: string;
  readonly key: string;
  readonly eTag?: string | undefined;
  readonly versionId?: string | undefined;
  readonly size?: number | undefined;
  /** The event's sequencer: a later event for the key has a greater one (infra/events/records). */
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
  readonly detectOptions?: DetectOptions;
  /** Options of a classifier's `classifyMany` (DETECTFN_EVENTS_TOP_K). @default { topK: 5 } */
  readonly classifyOptions?: ClassifyOptions;
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

export const DEFAULT_EVENT_CONCURRENCY = 8;
export const DEFAULT_MAX_OBJECT_BYTES = 20 * 1024 ** 2;

export function createEventProcessor(options: EventProcessorOptions): EventProcessor {
  const concurrency = expectInteger('concurrency', options.concurrency ?? DEFAULT_EVENT_CONCURRENCY, 1, 1024);
  const maxObjectBytes = expectInteger('maxObjectBytes', options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES, 1);
  const logger = options.logger ?? silentLogger();
  const opts = { ...options, logger, maxObjectBytes, now: options.now ?? (() => new Date()) };
  const permits = createSemaphore(concurrency);
  const inFlight = createSemaphore(concurrency * 4);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const retry = createRetrier(options.retries, logger, sleep);
  const keys = createKeyLock();
  const rules = { allowed: options.buckets?.length ? new Set(options.buckets) : undefined, output: options.output, errors: options.errors };

  return {
    async process(records, run = {}) {
      const log = run.logger ?? logger;
      const ctx: RecordContext = { opts, logger: log, permits, keys, rules, retry, signal: run.signal };
      return Promise.all(
        records.map((rec) =>
          inFlight.run(async (): Promise<RecordOutcome> => {
            const outcome = await processRecord(rec, ctx);
            if (outcome.status !== 'cancelled') options.metrics?.recordEvent(outcome.status);
            if (outcome.status === 'processed') log.info({ messageId: rec.messageId, bucket: rec.bucket, key: rec.key, resultKey: outcome.resultKey, detections: outcome.detections, topClass: outcome.topClass }, 'event: object processed');
            run.onOutcome?.(outcome);
            return outcome;
          }),
        ),
      );
    },
    inMemory: () => permits.active(),
  };
}

/** What every record of one `process` call shares. */
export interface RecordContext {
  readonly opts: EventProcessorOptions & Required<Pick<EventProcessorOptions, 'maxObjectBytes' | 'now'>>;
  readonly logger: Logger;
  readonly permits: Semaphore;
  readonly keys: KeyLock;
  readonly rules: RefusalRules;
  readonly retry: Retrier;
  readonly signal: AbortSignal | undefined;
}

type Base = Pick<RecordOutcome, 'bucket' | 'key' | 'messageId'>;
class Cancelled extends Error {}

export async function processRecord(rec: EventRecord, c: RecordContext): Promise<RecordOutcome> {
  const base = { bucket: rec.bucket, key: rec.key, messageId: rec.messageId };
  if (isOwnOutput(rec, c.opts)) return { ...base, status: 'skipped', reason: 'own-output' };
  // Several buckets share one output: the bucket is part of every output key.
  const path = c.rules.allowed && c.rules.allowed.size > 1 ? `${rec.bucket}/${rec.key}` : rec.key;
  const refused = refusal(rec.bucket, rec.key, path, c.rules);
  if (refused) return fail(rec, base, refused, undefined, c, refusedRecordKey(c.opts.errors.prefix, rec.bucket, rec.key));
  return c.keys.run(path, () => processAccepted(rec, base, path, c));
}

/** Results and error records in the input bucket would otherwise trigger events of their own. */
function isOwnOutput(rec: EventRecord, { output, errors }: RecordContext['opts']): boolean {
  return [output, errors].some(
    (d) => d.bucket === rec.bucket && (d.prefix === '' ? rec.key.endsWith('.json') : rec.key.startsWith(d.prefix)),
  );
}

async function processAccepted(rec: EventRecord, base: Base, path: string, c: RecordContext): Promise<RecordOutcome> {
  const { opts, retry } = c;
  const { output, errors } = opts;
  const where = { bucket: rec.bucket, key: rec.key };
  const outKey = resultKey(output.prefix, path);
  const errorKey = resultKey(errors.prefix, path);
  let model: ModelService | undefined;
  try {
    if (c.signal?.aborted) throw new Cancelled();
    model = opts.model();
    const { name, version } = model.describe();
    const [meta, errorMeta] = await Promise.all([
      retry('head-result', where, () => output.store.metadataOf(output.bucket, outKey)),
      retry('head-error', where, () => errors.store.metadataOf(errors.bucket, errorKey)),
    ]);
    // A later event's result, or its failure, stands: this one is late.
    if (isSuperseded(meta, rec.sequencer) || isSuperseded(errorMeta, rec.sequencer)) {
      // An error record older than the result beside it is a late event's failure: stale.
      const stale = errorMeta !== undefined && isSuperseded(meta, storedSequencer(errorMeta));
      return (stale ? await removeStaleError(base, errorKey, c) : undefined) ?? { ...base, status: 'skipped', reason: 'superseded', resultKey: outKey };
    }
    const clearError = async () => (errorMeta === undefined ? undefined : removeStaleError(base, errorKey, c));
    const eTag = rec.eTag ?? (await retry('head-input', where, () => opts.input.eTagOf(rec.bucket, rec.key, rec.versionId)));
    if (eTag !== undefined && isCurrent(meta, name, version, eTag)) {
      return (await clearError()) ?? { ...base, status: 'skipped', reason: 'already-done', resultKey: outKey };
    }
    const m = model;
    const record = await c.permits.run(async (): Promise<ResultRecord> => {
      // Waiting for a permit can take long in a burst; a cancelled run starts nothing new.
      if (c.signal?.aborted) throw new Cancelled();
      const t0 = performance.now();
      const obj = await retry('get', where, () => opts.input.read(rec.bucket, rec.key, opts.maxObjectBytes, rec.versionId));
      const download = performance.now() - t0;
      const result = await retry('model', where, () => runModel(m, obj.bytes, opts));
      const input: InputRef = { bucket: rec.bucket, key: rec.key, eTag: obj.eTag ?? eTag, versionId: obj.versionId ?? rec.versionId, size: obj.bytes.byteLength, sequencer: rec.sequencer };
      return {
        model: { name: result.model, version: result.version }, input, image: result.image,
        ...result.answer, timings: { ...result.timings, download }, createdAt: opts.now().toISOString(),
      };
    });
    const put = resultMetadata(record.model.name, record.model.version, record.input.eTag ?? '', record.input);
    await retry('put-result', where, () => output.store.put(output.bucket, outKey, JSON.stringify(record), put));
    return (await clearError()) ?? { ...base, status: 'processed', resultKey: outKey, ...answerSummary(record) };
  } catch (err) {
    if (err instanceof Cancelled) return { ...base, status: 'cancelled' };
    return fail(rec, base, err, model, c, errorKey);
  }
}

/**
 * Once a result stands for this event (or a later one), the key's earlier error record is
 * stale: removed, so no object has both. Only an existing one is deleted (seen by the HEAD
 * above): a DELETE of a missing key would add a delete marker on a versioned bucket. If the
 * delete fails the result stands, and the outcome is a failure without an error record, so
 * the event is redelivered and the already-done path removes it then.
 */
async function removeStaleError(base: Base, errorKey: string, c: RecordContext): Promise<RecordOutcome | undefined> {
  const { errors } = c.opts;
  try {
    await c.retry('delete-error', base, () => errors.store.delete(errors.bucket, errorKey));
    c.logger.info({ messageId: base.messageId, errorKey }, 'event: stale error record removed');
    return undefined;
  } catch (err) {
    const error = describeFailure(err);
    c.logger.error({ messageId: base.messageId, bucket: base.bucket, key: base.key, errorKey, error }, 'event: could not remove the stale error record; leaving the event for redelivery');
    return { ...base, status: 'failed', error };
  }
}

/** The failure's error record, a log line and the `failed` outcome (without errorKey when the record could not be written). */
async function fail(rec: EventRecord, base: Base, err: unknown, model: ModelService | undefined, c: RecordContext, errorKey: string): Promise<RecordOutcome> {
  const { opts, retry } = c;
  const error = describeFailure(err);
  const record: ErrorRecord = {
    input: { bucket: rec.bucket, key: rec.key, eTag: rec.eTag, versionId: rec.versionId, size: rec.size, sequencer: rec.sequencer },
    model: model?.describe().name, ...error, failedAt: opts.now().toISOString(),
  };
  let written = true;
  try {
    await retry('put-error', { bucket: rec.bucket, key: rec.key }, () => opts.errors.store.put(opts.errors.bucket, errorKey, JSON.stringify(record), orderMetadata(record.input)));
  } catch (writeErr) {
    written = false;
    c.logger.error({ record, err: writeErr, errors: opts.errors.uri }, 'event: could not write the error record');
  }
  c.logger.warn({ messageId: rec.messageId, record, errorKey: written ? errorKey : undefined }, 'event: object failed');
  return { ...base, status: 'failed', error, ...(written ? { errorKey } : {}) };
}

// The model call, whichever task the model serves: a detector's `detect` (detections) or a
// classifier's `classifyMany` (top-k classes). The result record and the outcome differ only in
// the answer field, so error records, retries, idempotency and metrics stay one path for both.
/** The model's answer for one image: `detections` or `classes`, as the result record holds it. */
export type ModelAnswer = Pick<DetectResult, 'detections'> | Pick<ClassifyResult, 'classes'>;

export interface ModelRun {
  readonly model: string;
  readonly version: string;
  readonly image: DetectResult['image'];
  readonly timings: DetectResult['timings'];
  readonly answer: ModelAnswer;
}

export interface RunOptions {
  readonly detectOptions?: DetectOptions | undefined;
  readonly classifyOptions?: ClassifyOptions | undefined;
}

export async function runModel(model: ModelService, bytes: Uint8Array, o: RunOptions): Promise<ModelRun> {
  if (model.describe().task === 'classify') {
    const [r] = await model.classifyMany([bytes], o.classifyOptions ?? DEFAULT_CLASSIFY_OPTIONS);
    return { model: r!.model, version: r!.version, image: r!.image, timings: r!.timings, answer: { classes: r!.classes } };
  }
  const r = await model.detect(bytes, o.detectOptions ?? model.describe().defaults);
  return { model: r.model, version: r.version, image: r.image, timings: r.timings, answer: { detections: r.detections } };
}

/** What the outcome and the log line say about a result: the detection count, or the top class. */
export function answerSummary(answer: ModelAnswer): { detections: number } | { topClass: string | undefined } {
  return 'detections' in answer ? { detections: answer.detections.length } : { topClass: answer.classes[0]?.label };
}

// Retries: infra/store's withRetries for the processor's operations, remembering how many
// attempts the last one took (error records report it).
export interface Retrier {
  <T>(op: string, context: Record<string, unknown>, fn: () => Promise<T>): Promise<T>;
}

/** The error after retries, carrying the attempt count. */
export class AttemptsError extends Error {
  constructor(override readonly cause: unknown, readonly attempts: number, readonly op: string) {
    super(String((cause as Error)?.message ?? cause));
  }
}

/** Our own typed errors are final (NOT_FOUND, PAYLOAD_TOO_LARGE) except a full queue; SDK/network errors may be transient. */
const transient = (err: unknown) => (isDetectError(err) ? err.code === 'QUEUE_FULL' : isTransient(err));

export function createRetrier(policy: RetryPolicy = DEFAULT_RETRY_POLICY, logger: StoreLogger, sleep: (ms: number) => Promise<void>): Retrier {
  return async (op, context, fn) => {
    let attempts = 0;
    try {
      return await withRetries(
        () => {
          attempts += 1;
          return fn();
        },
        { policy, sleep, random: Math.random, isTransient: transient, logger, context: { ...context, op } },
      );
    } catch (err) {
      throw new AttemptsError(err, attempts, op);
    }
  };
}

/** Code and message for an error record: DetectErrors keep theirs; S3/network errors are STORE_ERROR. */
export function describeFailure(err: unknown): { code: string; message: string; attempts: number } {
  const wrapped = err instanceof AttemptsError ? err : undefined;
  const inner = wrapped ? wrapped.cause : err;
  const attempts = wrapped?.attempts ?? 1;
  if (isDetectError(inner)) return { code: inner.code, message: inner.message, attempts };
  const e = inner as { name?: string; message?: string } | undefined;
  const status = httpStatusOf(inner);
  const what = [status && `HTTP ${status}`, e?.name, e?.message].filter(Boolean).join(' ') || String(inner);
  const code = wrapped && wrapped.op !== 'model' ? 'STORE_ERROR' : 'INTERNAL';
  return { code, message: `${wrapped?.op ?? 'processing'} failed after ${attempts} attempt(s): ${what}`, attempts };
}

// Concurrency. A counting semaphore with a FIFO wait queue is the backpressure between a burst of
// object events and memory: whoever holds a permit may have one object's bytes in memory;
// everyone else waits holding nothing but the record.
export interface Semaphore {
  /** Runs `fn` once a permit is free; the permit is returned however `fn` ends. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Permits in use now. */
  active(): number;
  /** Callers waiting for a permit. */
  waiting(): number;
}

export function createSemaphore(permits: number): Semaphore {
  expectInteger('permits', permits, 1);
  let inUse = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    const next = queue.shift();
    // Hand the permit straight to the next waiter so a newcomer cannot overtake it.
    if (next) next();
    else inUse -= 1;
  };
  const acquire = (): Promise<void> => {
    if (inUse < permits) {
      inUse += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => queue.push(resolve));
  };
  return {
    async run(fn) {
      await acquire();
      try {
        return await fn();
      } finally {
        release();
      }
    },
    active: () => inUse,
    waiting: () => queue.length,
  };
}

/**
 * One record per output key at a time in this process: two events for the same key (a
 * redelivery racing the original, two versions of one object) would otherwise both pass the
 * "is a newer result stored?" HEAD and the older could write last. Other keys never wait.
 * Across processes the window stays (radosgw 16 has no conditional PUT to close it).
 */
export interface KeyLock {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export function createKeyLock(): KeyLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run(key, fn) {
      const before = tails.get(key) ?? Promise.resolve();
      const mine = before.then(() => fn());
      const tail = mine.catch(() => undefined);
      tails.set(key, tail);
      try {
        return await mine;
      } finally {
        // The last holder removes the entry, so the map holds only keys in flight.
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
