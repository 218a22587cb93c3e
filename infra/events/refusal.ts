/**
 * @module infra/events/refusal
 * What is refused before anything is read, as a permanent failure:
 * - a bucket not on the allowlist (DETECTFN_EVENTS_BUCKETS): an event may name any bucket, and
 *   it would be read with the service's credentials;
 * - a key with an empty, '.' or '..' segment: its result key would resolve onto another
 *   object's (`x/../bus.jpg.json` is `bus.jpg.json` to any client that normalises paths);
 * - a key whose result would land inside the errors prefix, or whose error record would land
 *   inside the output prefix (`_errors/bus.jpg` would write over the error record of `bus.jpg`).
 * A refused record's error record is named by the SHA-256 of bucket and key, without `.json`:
 * every result and error record of an accepted key ends in `.json`, so no accepted key can
 * produce that name, and the refused key itself is only inside the record.
 */
import { createHash } from 'node:crypto';
import { DetectError } from '../../core/errors/index.js';
import type { Destination } from './object-store.js';

export const REFUSED_FOLDER = '_refused/';

export function keyProblem(key: string): string | undefined {
  const bad = key.split('/').find((s) => s === '' || s === '.' || s === '..');
  if (bad === undefined) return undefined;
  return `object key ${JSON.stringify(key)} has ${bad === '' ? 'an empty' : `a '${bad}'`} segment`;
}

export interface RefusalRules {
  /** Buckets events may name; undefined: any. */
  readonly allowed: ReadonlySet<string> | undefined;
  readonly output: Destination;
  readonly errors: Destination;
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

export function refusedRecordKey(errorsPrefix: string, bucket: string, key: string): string {
  return `${errorsPrefix}${REFUSED_FOLDER}${createHash('sha256').update(`${bucket}/${key}`).digest('hex')}`;
}
