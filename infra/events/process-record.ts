/**
 * @module infra/events/process-record
 * One object, start to end: skip our own outputs; refuse (unread) what infra/events/refusal
 * refuses; then, one record per output key at a time, HEAD the result and the error record
 * (either written for a later event -> skip as superseded; same input ETag and model version
 * -> skip); holding a permit, GET the bytes (size-limited, the event's version) and run the
 * model (detect, or classify for a classifier: infra/events/run-model);
 * write the result in one PutObject, then remove the key's stale error record. Any failure becomes an error record, a
 * log line and a `failed` outcome; it never escapes to the other records.
 */
import type { Logger } from '../log/index.js';
import type { ModelService } from '../runtime/model-service.js';
import type { KeyLock } from './key-lock.js';
import { resultKey } from './location.js';
import { isSuperseded, storedSequencer } from './ordering.js';
import { isCurrent, orderMetadata, resultMetadata, type ErrorRecord, type InputRef, type ResultRecord } from './records.js';
import { refusal, refusedRecordKey, type RefusalRules } from './refusal.js';
import { describeFailure, type Retrier } from './retry.js';
import { answerSummary, runModel } from './run-model.js';
import type { Semaphore } from './semaphore.js';
import type { EventProcessorOptions, EventRecord, RecordOutcome } from './types.js';

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

/** Results and error records in the input bucket would otherwise trigger events of their own. */
function isOwnOutput(rec: EventRecord, { output, errors }: RecordContext['opts']): boolean {
  return [output, errors].some(
    (d) => d.bucket === rec.bucket && (d.prefix === '' ? rec.key.endsWith('.json') : rec.key.startsWith(d.prefix)),
  );
}

export async function processRecord(rec: EventRecord, c: RecordContext): Promise<RecordOutcome> {
  const base = { bucket: rec.bucket, key: rec.key, messageId: rec.messageId };
  if (isOwnOutput(rec, c.opts)) return { ...base, status: 'skipped', reason: 'own-output' };
  // Several buckets share one output: the bucket is part of every output key.
  const path = c.rules.allowed && c.rules.allowed.size > 1 ? `${rec.bucket}/${rec.key}` : rec.key;
  const refused = refusal(rec.bucket, rec.key, path, c.rules);
  if (refused) return fail(rec, base, refused, undefined, c, refusedRecordKey(c.opts.errors.prefix, rec.bucket, rec.key));
  return c.keys.run(path, () => processAccepted(rec, base, path, c));
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
