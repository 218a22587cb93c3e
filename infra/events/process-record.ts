/**
 * @module infra/events/process-record
 * One object, start to end: skip our own outputs; HEAD the result (same input ETag and model
 * version -> skip without inference); then, holding a permit, GET the bytes (size-limited) and
 * detect; write the result in one PutObject. Any failure becomes an error record, a log line
 * and a `failed` outcome; it never escapes to the other records.
 */
import type { ModelService } from '../runtime/model-service.js';
import { resultKey } from './location.js';
import { isCurrent, resultMetadata, type ErrorRecord, type InputRef, type ResultRecord } from './records.js';
import { describeFailure, type Retrier } from './retry.js';
import type { Semaphore } from './semaphore.js';
import type { EventProcessorOptions, EventRecord, RecordOutcome } from './types.js';

export interface RecordContext {
  readonly opts: EventProcessorOptions & Required<Pick<EventProcessorOptions, 'maxObjectBytes' | 'now'>>;
  readonly permits: Semaphore;
  readonly retry: Retrier;
  readonly signal: AbortSignal | undefined;
}

class Cancelled extends Error {}

/** Results and error records in the input bucket would otherwise trigger events of their own. */
function isOwnOutput(rec: EventRecord, { output, errors }: RecordContext['opts']): boolean {
  return [output, errors].some(
    (d) => d.bucket === rec.bucket && (d.prefix === '' ? rec.key.endsWith('.json') : rec.key.startsWith(d.prefix)),
  );
}

export async function processRecord(rec: EventRecord, c: RecordContext): Promise<RecordOutcome> {
  const base = { bucket: rec.bucket, key: rec.key, messageId: rec.messageId };
  const { opts, retry } = c;
  if (isOwnOutput(rec, opts)) return { ...base, status: 'skipped', reason: 'own-output' };
  const where = { bucket: rec.bucket, key: rec.key };
  let model: ModelService | undefined;
  try {
    if (c.signal?.aborted) throw new Cancelled();
    model = opts.model();
    const { name, version } = model.describe();
    const outKey = resultKey(opts.output.prefix, rec.key);
    const eTag = rec.eTag ?? (await retry('head-input', where, () => opts.input.eTagOf(rec.bucket, rec.key)));
    if (eTag !== undefined) {
      const meta = await retry('head-result', where, () => opts.output.store.metadataOf(opts.output.bucket, outKey));
      if (isCurrent(meta, name, version, eTag)) return { ...base, status: 'skipped', reason: 'already-done', resultKey: outKey };
    }
    const m = model;
    const { record } = await c.permits.run(async () => {
      // Waiting for a permit can take long in a burst; a cancelled run starts nothing new.
      if (c.signal?.aborted) throw new Cancelled();
      const t0 = performance.now();
      const obj = await retry('get', where, () => opts.input.read(rec.bucket, rec.key, opts.maxObjectBytes, rec.versionId));
      const download = performance.now() - t0;
      const result = await retry('detect', where, () => m.detect(obj.bytes, opts.detectOptions ?? {}));
      const input: InputRef = { bucket: rec.bucket, key: rec.key, eTag: obj.eTag ?? eTag, versionId: obj.versionId ?? rec.versionId, size: obj.bytes.byteLength };
      const record: ResultRecord = {
        model: { name: result.model, version: result.version }, input, image: result.image,
        detections: result.detections, timings: { ...result.timings, download }, createdAt: opts.now().toISOString(),
      };
      return { record };
    });
    const meta = resultMetadata(record.model.name, record.model.version, record.input.eTag ?? '');
    await retry('put-result', where, () => opts.output.store.put(opts.output.bucket, outKey, JSON.stringify(record), meta));
    return { ...base, status: 'processed', resultKey: outKey, detections: record.detections.length };
  } catch (err) {
    if (err instanceof Cancelled) return { ...base, status: 'cancelled' };
    return fail(rec, base, err, model, c);
  }
}

async function fail(rec: EventRecord, base: Pick<RecordOutcome, 'bucket' | 'key' | 'messageId'>, err: unknown, model: ModelService | undefined, c: RecordContext): Promise<RecordOutcome> {
  const { opts, retry } = c;
  const error = describeFailure(err);
  const errorKey = resultKey(opts.errors.prefix, rec.key);
  const record: ErrorRecord = {
    input: { bucket: rec.bucket, key: rec.key, eTag: rec.eTag, versionId: rec.versionId, size: rec.size },
    model: model?.describe().name, ...error, failedAt: opts.now().toISOString(),
  };
  let written = true;
  try {
    await retry('put-error', { bucket: rec.bucket, key: rec.key }, () => opts.errors.store.put(opts.errors.bucket, errorKey, JSON.stringify(record), {}));
  } catch (writeErr) {
    written = false;
    opts.logger?.error({ record, err: writeErr, errors: opts.errors.uri }, 'event: could not write the error record');
  }
  opts.logger?.warn({ messageId: rec.messageId, record, errorKey: written ? errorKey : undefined }, 'event: object failed');
  return { ...base, status: 'failed', error, ...(written ? { errorKey } : {}) };
}
