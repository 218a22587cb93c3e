/**
 * @module infra/events/ordering
 * Which of two events for the same key is later. Notifications arrive in any order (SQS
 * redelivery, retries, several senders); each S3 record carries a `sequencer`, a hex string
 * that grows with the key's PUTs and DELETEs. AWS: sequencers may differ in length, so left-pad
 * the shorter with zeros, then compare lexicographically. Only comparable for one key.
 * (MinIO derives it from its clock, so there it orders only as well as the clocks agree.)
 */
import { META } from './records.js';

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
