/**
 * @module handlers/events/summary
 * Outcomes of one delivery -> the answer. HTTP: 200 when every record was processed or skipped,
 * 207 (Multi-Status) when some failed for good (about the object itself, error record
 * written), and 503 when any failure may pass on a retry or has no error record (S3 down):
 * the sender's redelivery then finishes the work, and done objects are skipped. The body
 * lists every record's outcome. Lambda: SQS gets batchItemFailures (failed messages and bodies
 * that were not object events, so they reach the DLQ rather than vanish); S3/EventBridge
 * invocations throw so Lambda retries them.
 */
import type { RecordOutcome } from '../../infra/events/index.js';
import type { NormalisedEvent, SkippedRecord } from './object-events.js';
import { needsRedelivery, type RedeliveryPolicy } from './redelivery.js';

export interface EventSummary {
  readonly counts: { processed: number; skipped: number; failed: number; ignored: number };
  readonly records: readonly RecordOutcome[];
  /** Records that were not object-created events (deletes, test events, unknown shapes). */
  readonly ignored: readonly SkippedRecord[];
}

export function summarise(event: NormalisedEvent, outcomes: readonly RecordOutcome[]): EventSummary {
  const count = (s: RecordOutcome['status']) => outcomes.filter((o) => o.status === s).length;
  return {
    counts: { processed: count('processed'), skipped: count('skipped'), failed: count('failed') + count('cancelled'), ignored: event.skipped.length },
    records: outcomes,
    ignored: event.skipped,
  };
}

export function httpStatusOf(s: EventSummary): 200 | 207 | 503 {
  if (s.records.some((o) => needsRedelivery(o, 'transient'))) return 503;
  return s.counts.failed > 0 ? 207 : 200;
}

export function batchItemFailures(event: NormalisedEvent, outcomes: readonly RecordOutcome[], policy: RedeliveryPolicy = 'every-failure'): { itemIdentifier: string }[] {
  const ids = new Set<string>();
  for (const o of outcomes) if (o.messageId && needsRedelivery(o, policy)) ids.add(o.messageId);
  for (const s of event.skipped) if (s.reason === 'unrecognised' && s.messageId) ids.add(s.messageId);
  return [...ids].map((itemIdentifier) => ({ itemIdentifier }));
}
