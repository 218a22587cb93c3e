/**
 * @module handlers/events/redelivery
 * Which failed records should come back from the queue. The SQS consumer deletes a message
 * whose failure is about the object itself (missing, corrupt, too large: a retry would fail
 * the same way) once that failure is durably recorded as an error record; anything about the
 * infrastructure (S3 unreachable or refusing, model not ready, queue full, a crashed worker,
 * a bug) or a failure without an error record stays for redelivery, so the queue's redrive
 * policy moves a message that keeps failing to its DLQ. Unknown codes are retried: a new
 * code must never make messages vanish.
 */
import type { RecordOutcome } from '../../infra/events/index.js';

/** Codes that describe the object, not the system: retrying cannot change the outcome. */
export const PERMANENT_FAILURE_CODES: ReadonlySet<string> = new Set([
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'IMAGE_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNDECODABLE_IMAGE',
  'EMPTY_BODY',
  'INVALID_ARGUMENT',
  'BUCKET_NOT_ALLOWED',
]);

/**
 * `every-failure`: any failed or cancelled record is redelivered (the Lambda default).
 * `transient`: only failures a retry may fix, or whose error record could not be written.
 */
export type RedeliveryPolicy = 'every-failure' | 'transient';

export function needsRedelivery(o: RecordOutcome, policy: RedeliveryPolicy): boolean {
  if (o.status === 'processed' || o.status === 'skipped') return false;
  if (policy === 'every-failure' || o.status === 'cancelled') return true;
  return o.errorKey === undefined || !PERMANENT_FAILURE_CODES.has(o.error?.code ?? '');
}
