/**
 * @module infra/events/records
 * What the event processor writes, where, and the checks it makes from what is already written.
 *
 * - A result (`<output prefix><key>.json`) carries the model, the input it was computed from
 *   and the detections (a classifier's result has `classes`, top-k best first, in their place).
 *   Its S3 user metadata repeats the input ETag and model version, so "already done?" is one
 *   HEAD, without reading the body.
 * - An error record (`<errors prefix><key>.json`) says which input failed, how, after how many
 *   attempts, when.
 * - Both carry the event's sequencer, so a late event for an older version never overwrites
 *   what a later event wrote (S3 delivers notifications in any order).
 * - Some keys are refused before anything is read (`refusal`): a bucket off the allowlist, or a
 *   key whose result would land on another object's.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DetectError, invalidParameterError } from '../../core/errors.js';
import type { ClassifyResult } from '../model/classify.js';
import type { DetectResult } from '../model/detect.js';

export interface InputRef {
  readonly bucket: string;
  readonly key: string;
  readonly eTag: string | undefined;
  readonly versionId: string | undefined;
  readonly size?: number | undefined;
  /** The event's sequencer (orders events for one key; absent for a backfill listing). */
  readonly sequencer?: string | undefined;
}

interface ResultFields {
  readonly model: { readonly name: string; readonly version: string };
  readonly input: InputRef;
  readonly image: DetectResult['image'];
  /** Milliseconds: the model's stages plus `download` (GET of the input). */
  readonly timings: DetectResult['timings'] & { readonly download: number };
  readonly createdAt: string;
}

/** A detector's result (model task `detect`). */
export interface DetectionRecord extends ResultFields {
  readonly detections: DetectResult['detections'];
}

/** A classifier's result (model task `classify`): the top-k classes, best first. */
export interface ClassificationRecord extends ResultFields {
  readonly classes: ClassifyResult['classes'];
}

export type ResultRecord = DetectionRecord | ClassificationRecord;

export interface ErrorRecord {
  readonly input: InputRef;
  readonly model: string | undefined;
  readonly code: string;
  readonly message: string;
  /** Attempts of the operation that failed (S3 operations are retried; detection is not). */
  readonly attempts: number;
  readonly failedAt: string;
}

// Locations: `s3://bucket/prefix` or a local directory -> bucket + prefix, and the keys results
// and error records get. A result for input key K is `<prefix>K.json`, so the output mirrors the
// input tree and a listing of the output prefix shows what is done.
export interface Location {
  readonly kind: 's3' | 'file';
  /** Bucket name, or the absolute directory for 'file'. */
  readonly bucket: string;
  /** Key prefix; always '' for 'file' (the directory is the root). */
  readonly prefix: string;
  readonly uri: string;
}

export function parseLocation(uri: string, name = 'location'): Location {
  if (typeof uri !== 'string' || uri.trim() === '') throw invalidParameterError(name, 's3://bucket/prefix or a directory', uri);
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (m) return { kind: 's3', bucket: m[1]!, prefix: m[2]!, uri };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw invalidParameterError(name, 's3://bucket/prefix or a directory', uri);
  return { kind: 'file', bucket: path.resolve(uri), prefix: '', uri };
}

/** The default errors location: `_errors/` under the output. */
export function defaultErrorsLocation(output: Location): Location {
  return { ...output, prefix: `${asFolder(output.prefix)}_errors/`, uri: `${output.uri.replace(/\/?$/, '/')}_errors/` };
}

/** Appends '/' to a non-empty prefix that lacks one ("results" -> "results/"). */
export function asFolder(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

export const resultKey = (prefix: string, inputKey: string): string => `${prefix}${inputKey}.json`;

// Refusal: what is refused before anything is read, as a permanent failure:
// - a bucket not on the allowlist (DETECTFN_EVENTS_BUCKETS): an event may name any bucket, and
//   it would be read with the service's credentials;
// - a key with an empty, '.' or '..' segment: its result key would resolve onto another
//   object's (`x/../bus.jpg.json` is `bus.jpg.json` to any client that normalises paths);
// - a key whose result would land inside the errors prefix, or whose error record would land
//   inside the output prefix (`_errors/bus.jpg` would write over the error record of `bus.jpg`).
export const REFUSED_FOLDER = '_refused/';

/** Where records go, as far as refusals care (infra/events/stores' Destination fits). */
interface RecordPlace {
  /** Compared by identity: two places can only collide in the same store. */
  readonly store: unknown;
  readonly bucket: string;
  readonly prefix: string;
  readonly uri: string;
}

export interface RefusalRules {
  /** Buckets events may name; undefined: any. */
  readonly allowed: ReadonlySet<string> | undefined;
  readonly output: RecordPlace;
  readonly errors: RecordPlace;
}

/** `path` is where the key's outputs go under each prefix (the key, or `bucket/key`). */
export function refusal(bucket: string, key: string, path: string, r: RefusalRules): DetectError | undefined {
  if (r.allowed && !r.allowed.has(bucket)) {
    return new DetectError('BUCKET_NOT_ALLOWED', `bucket ${bucket} is not in DETECTFN_EVENTS_BUCKETS; s3://${bucket}/${key} was not read`);
  }
  const problem = keyProblem(key);
  if (problem) return new DetectError('INVALID_ARGUMENT', `${problem}; such keys are refused because their result would land on another object's`);
  const { output, errors } = r;
  if (output.store !== errors.store || output.bucket !== errors.bucket) return undefined;
  // A result and an error record can only meet when one prefix holds the other.
  const intoErrors = errors.prefix.startsWith(output.prefix) && `${output.prefix}${path}`.startsWith(errors.prefix);
  const intoOutput = !intoErrors && output.prefix.startsWith(errors.prefix) && `${errors.prefix}${path}`.startsWith(output.prefix);
  if (intoErrors || intoOutput) {
    return new DetectError('INVALID_ARGUMENT', `object key ${JSON.stringify(key)} would put its ${intoErrors ? 'result among the error records' : 'error record among the results'} (${errors.uri}); refused so it overwrites neither`);
  }
  return undefined;
}

export function keyProblem(key: string): string | undefined {
  const bad = key.split('/').find((s) => s === '' || s === '.' || s === '..');
  if (bad === undefined) return undefined;
  return `object key ${JSON.stringify(key)} has ${bad === '' ? 'an empty' : `a '${bad}'`} segment`;
}

/**
 * A refused record's error record is named by the SHA-256 of bucket and key, without `.json`:
 * every result and error record of an accepted key ends in `.json`, so no accepted key can
 * produce that name, and the refused key itself is only inside the record.
 */
export function refusedRecordKey(errorsPrefix: string, bucket: string, key: string): string {
  return `${errorsPrefix}${REFUSED_FOLDER}${createHash('sha256').update(`${bucket}/${key}`).digest('hex')}`;
}

// Ordering: which of two events for the same key is later. Notifications arrive in any order
// (SQS redelivery, retries, several senders); each S3 record carries a `sequencer`, a hex string
// that grows with the key's PUTs and DELETEs. AWS: sequencers may differ in length, so left-pad
// the shorter with zeros, then compare lexicographically. Only comparable for one key.
// (MinIO derives it from its clock, so there it orders only as well as the clocks agree; Ceph's
// is rewritten to compare this way in handlers/events/object-events' cephSequencer.)
export function compareSequencers(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  const [x, y] = [a.toUpperCase().padStart(n, '0'), b.toUpperCase().padStart(n, '0')];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * True when the stored result (or error record) came from a later event than `sequencer`: a
 * late event for an older version must not overwrite it. A record without a sequencer (a backfill listing) reads
 * the object's current version, which is never older than a stored result, so it is not stale.
 */
export function isSuperseded(meta: Record<string, string> | undefined, sequencer: string | undefined): boolean {
  const stored = storedSequencer(meta);
  return stored !== undefined && sequencer !== undefined && compareSequencers(stored, sequencer) > 0;
}

/** The sequencer a result or error record was written for (its metadata), if known. */
export function storedSequencer(meta: Record<string, string> | undefined): string | undefined {
  const stored = meta?.[META.sequencer];
  return stored === undefined ? undefined : decodeURIComponent(stored);
}

/** True when a stored result was computed from this input version by this model version. */
export function isCurrent(meta: Record<string, string> | undefined, model: string, version: string, inputETag: string): boolean {
  if (!meta) return false;
  const want = resultMetadata(model, version, inputETag);
  return Object.entries(want).every(([k, v]) => meta[k] === v);
}

// Metadata: what a HEAD of a result or error record answers with.
/** S3 user-metadata keys (sent as x-amz-meta-*; S3 lower-cases them). */
export const META = Object.freeze({
  inputETag: 'detectfn-input-etag', model: 'detectfn-model', version: 'detectfn-model-version',
  inputVersionId: 'detectfn-input-version-id', sequencer: 'detectfn-sequencer',
});

export function resultMetadata(model: string, version: string, inputETag: string, order: Partial<Pick<InputRef, 'versionId' | 'sequencer'>> = {}): Record<string, string> {
  return { [META.inputETag]: encodeURIComponent(inputETag), [META.model]: encodeURIComponent(model), [META.version]: encodeURIComponent(version), ...orderMetadata(order) };
}

/**
 * The input's versionId and the event's sequencer, when known: results and error records both
 * carry them. Metadata travels as HTTP headers: keep it ASCII.
 */
export function orderMetadata(order: Partial<Pick<InputRef, 'versionId' | 'sequencer'>>): Record<string, string> {
  const meta: Record<string, string> = {};
  if (order.versionId) meta[META.inputVersionId] = encodeURIComponent(order.versionId);
  if (order.sequencer) meta[META.sequencer] = encodeURIComponent(order.sequencer);
  return meta;
}

/** For stores without user metadata (local files): the same fields, read from the result JSON. */
export function metadataFromResultBody(body: string): Record<string, string> | undefined {
  try {
    const r = JSON.parse(body) as Partial<ResultRecord>;
    if (!r.model || !r.input?.eTag) return undefined;
    return resultMetadata(r.model.name, r.model.version, r.input.eTag, r.input);
  } catch {
    return undefined;
  }
}
