/**
 * @module handlers/events/object-events
 * Object events as they arrive, and what to answer: every common delivery of "object created"
 * normalised to one record list (`normaliseEvent`), then the outcomes of processing those records
 * summarised for the sender (`summarise`, `httpStatusOf`, `batchItemFailures`).
 *
 * Shapes accepted:
 * - S3 notifications (`Records[]`, eventSource `aws:s3`), also what a Lambda receives;
 * - SQS events whose bodies are S3 notifications (optionally SNS-wrapped), including the
 *   `s3:TestEvent` message, which is acknowledged and ignored;
 * - EventBridge "Object Created" events (source `aws.s3`);
 * - webhooks of S3-compatible stores: Ceph radosgw (`ceph:s3`) and MinIO (`minio:s3`).
 * Keys in AWS and MinIO notification records are form-URL-encoded ("red flower.jpg" arrives
 * as "red+flower.jpg", AWS notification-content-structure docs); EventBridge keys arrive as is,
 * and so do Ceph radosgw 16.2 keys: a real push carried "dir/sub dir/red flower.jpg",
 * "a+b=c&d.png" and "pct%20x?.jpg" verbatim (test/fixtures/events/ceph-radosgw-push.json), so
 * decoding them would turn a literal '+' into a space.
 *
 * What comes back is decided by one rule, `needsRedelivery`: a failure about the object itself
 * (missing, corrupt, too large), once its error record is written, is final; anything about the
 * infrastructure, or a failure without an error record, is left for the sender to deliver again.
 */
import type { RecordOutcome } from '../../infra/events/processor.js';
import { unquoteETag } from '../../infra/store/s3.js';

export type EventSourceKind = 'aws:s3' | 'ceph:s3' | 'minio:s3' | 'aws.s3-eventbridge';

export interface ObjectRecord {
  readonly bucket: string;
  /** Decoded key, ready for GetObject. */
  readonly key: string;
  readonly size: number | undefined;
  readonly eTag: string | undefined;
  readonly versionId: string | undefined;
  /** Hex; orders the events of one key (infra/events/records' compareSequencers). */
  readonly sequencer: string | undefined;
  readonly eventName: string;
  readonly source: EventSourceKind;
  /** The SQS message this record came in, for batchItemFailures. */
  readonly messageId: string | undefined;
}

export interface SkippedRecord {
  readonly reason: 'not-object-created' | 'test-event' | 'unrecognised';
  readonly detail: string;
  readonly messageId: string | undefined;
}

export interface NormalisedEvent {
  readonly kind: 's3' | 'sqs' | 'eventbridge';
  readonly records: ObjectRecord[];
  readonly skipped: SkippedRecord[];
}

export function normaliseEvent(event: unknown): NormalisedEvent {
  if (isSqsEvent(event)) return fromSqs(event.Records);
  if (isEventBridgeEvent(event)) return { kind: 'eventbridge', ...fromEventBridge(event) };
  if (isS3Notification(event)) return { kind: 's3', ...fromNotification(event, undefined) };
  if (isS3TestEvent(event)) return { kind: 's3', records: [], skipped: [{ reason: 'test-event', detail: 's3:TestEvent', messageId: undefined }] };
  return { kind: 's3', records: [], skipped: [{ reason: 'unrecognised', detail: describeShape(event), messageId: undefined }] };
}

export function isSqsEvent(e: unknown): e is { Records: Json[] } {
  return isObject(e) && Array.isArray(e.Records) && e.Records.some((r) => isObject(r) && r.eventSource === 'aws:sqs');
}

export function isEventBridgeEvent(e: unknown): e is Json & { detail: Json } {
  return isObject(e) && e.source === 'aws.s3' && isObject(e.detail) && typeof e['detail-type'] === 'string';
}

export function isS3Notification(e: unknown): e is { Records: Json[] } {
  return isObject(e) && Array.isArray(e.Records) && e.Records.every((r) => isObject(r) && isObject(r.s3));
}

export function isS3TestEvent(e: unknown): boolean {
  return isObject(e) && e.Event === 's3:TestEvent';
}

function fromSqs(messages: Json[]): NormalisedEvent {
  const records: ObjectRecord[] = [];
  const skipped: SkippedRecord[] = [];
  for (const m of messages) {
    const messageId = str(m.messageId);
    let body: unknown;
    try {
      body = typeof m.body === 'string' ? JSON.parse(m.body) : m.body;
    } catch {
      skipped.push({ reason: 'unrecognised', detail: 'SQS body is not JSON', messageId });
      continue;
    }
    // S3 -> SNS -> SQS: the notification is a string in the SNS envelope's Message.
    if (isObject(body) && body.Type === 'Notification' && typeof body.Message === 'string') {
      try {
        body = JSON.parse(body.Message);
      } catch {
        skipped.push({ reason: 'unrecognised', detail: 'SNS Message is not JSON', messageId });
        continue;
      }
    }
    if (isS3TestEvent(body)) skipped.push({ reason: 'test-event', detail: 's3:TestEvent', messageId });
    else if (isEventBridgeEvent(body)) push(fromEventBridge(body, messageId));
    else if (isS3Notification(body)) push(fromNotification(body, messageId));
    else skipped.push({ reason: 'unrecognised', detail: `SQS body: ${describeShape(body)}`, messageId });
  }
  return { kind: 'sqs', records, skipped };

  function push(part: { records: ObjectRecord[]; skipped: SkippedRecord[] }): void {
    records.push(...part.records);
    skipped.push(...part.skipped);
  }
}

function fromNotification(event: { Records: Json[] }, messageId: string | undefined) {
  const records: ObjectRecord[] = [];
  const skipped: SkippedRecord[] = [];
  for (const r of event.Records) {
    const eventName = str(r.eventName) ?? '';
    const s3 = r.s3 as Json;
    const bucket = isObject(s3.bucket) ? str(s3.bucket.name) : undefined;
    const object = isObject(s3.object) ? s3.object : undefined;
    const rawKey = object ? str(object.key) : undefined;
    if (!/ObjectCreated/.test(eventName)) {
      skipped.push({ reason: 'not-object-created', detail: eventName || 'no eventName', messageId });
      continue;
    }
    if (!bucket || !object || rawKey === undefined) {
      skipped.push({ reason: 'unrecognised', detail: 'record without s3.bucket.name or s3.object.key', messageId });
      continue;
    }
    const source = (['ceph:s3', 'minio:s3'] as const).find((s) => s === r.eventSource) ?? 'aws:s3';
    records.push({
      bucket,
      key: source === 'ceph:s3' ? rawKey : decodeNotificationKey(rawKey),
      size: num(object.size),
      eTag: unquoteETag(str(object.eTag) ?? str(object.etag)),
      versionId: str(object.versionId),
      sequencer: source === 'ceph:s3' ? cephSequencer(str(object.sequencer)) : str(object.sequencer),
      eventName,
      source,
      messageId,
    });
  }
  return { records, skipped };
}

function fromEventBridge(event: Json & { detail: Json }, messageId?: string) {
  const detailType = String(event['detail-type']);
  const d = event.detail;
  const bucket = isObject(d.bucket) ? str(d.bucket.name) : undefined;
  const object = isObject(d.object) ? d.object : undefined;
  const key = object ? str(object.key) : undefined;
  if (detailType !== 'Object Created') {
    return { records: [], skipped: [{ reason: 'not-object-created' as const, detail: detailType, messageId }] };
  }
  if (!bucket || !object || key === undefined) {
    return { records: [], skipped: [{ reason: 'unrecognised' as const, detail: 'EventBridge detail without bucket.name or object.key', messageId }] };
  }
  const record: ObjectRecord = {
    bucket,
    key,
    size: num(object.size),
    eTag: unquoteETag(str(object.etag)),
    versionId: str(object['version-id']),
    sequencer: str(object.sequencer),
    eventName: `${detailType}:${str(d.reason) ?? ''}`,
    source: 'aws.s3-eventbridge',
    messageId,
  };
  return { records: [record], skipped: [] };
}

function describeShape(v: unknown): string {
  if (!isObject(v)) return `expected an object, got ${Array.isArray(v) ? 'array' : typeof v}`;
  return `unrecognised event with keys ${Object.keys(v).slice(0, 8).join(', ') || '(none)'}`;
}

/** unquote_plus: '+' is a space, then percent-decoding (as AWS documents for notifications). */
export function decodeNotificationKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    // A malformed escape cannot come from S3 itself; keep the raw key so GetObject names it.
    return key;
  }
}

/**
 * Ceph radosgw's sequencer is not AWS's: it hex-dumps the raw bytes of a utime_t
 * (`{u32 sec; u32 nsec}`, little-endian), so as a string it does not grow with time
 * (test/fixtures/events/ceph-radosgw-push.json: ...CDDA3F26 came before ...19E2F126). Rewritten
 * big-endian (sec then nsec, 16 hex digits) it orders as AWS's does; any other shape is dropped
 * (no ordering rather than a wrong one). It is the gateway's clock: across gateways it orders
 * only as well as their clocks agree.
 */
export function cephSequencer(raw: string | undefined): string | undefined {
  if (raw === undefined || !/^[0-9a-f]{16}$/i.test(raw)) return undefined;
  const le = (at: number) => raw.slice(at, at + 8).match(/../g)!.reverse().join('');
  return `${le(0)}${le(8)}`.toUpperCase();
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

// The answer. HTTP: 200 when every record was processed or skipped, 207 (Multi-Status) when
// some failed for good (about the object itself, error record written), and 503 when any
// failure may pass on a retry or has no error record (S3 down): the sender's redelivery then
// finishes the work, and done objects are skipped. The body lists every record's outcome.
// Lambda: SQS gets batchItemFailures (failed messages and bodies that were not object events,
// so they reach the DLQ rather than vanish); S3/EventBridge invocations throw so Lambda retries
// them (handlers/events/deliveries).
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

// Redelivery: which failed records should come back. The SQS consumer deletes a message whose
// failure is about the object itself (a retry would fail the same way) once that failure is
// durably recorded as an error record; anything about the infrastructure (S3 unreachable or
// refusing, model not ready, queue full, a crashed worker, a bug) or a failure without an error
// record stays for redelivery, so the queue's redrive policy moves a message that keeps failing
// to its DLQ. Unknown codes are retried: a new code must never make messages vanish.
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
