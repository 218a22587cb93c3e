import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RecordOutcome } from '../../infra/events/processor.js';
import { compareSequencers } from '../../infra/events/records.js';
import { cephSequencer, decodeNotificationKey, httpStatusOf, needsRedelivery, normaliseEvent, summarise } from './object-events.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../test/fixtures/events/${name}`, import.meta.url), 'utf8'));

/** One record's outcome; a failure with `errorKey` had its error record written. */
const o = (status: RecordOutcome['status'], code?: string, errorKey?: string): RecordOutcome => ({
  bucket: 'b', key: 'k', status, ...(code ? { error: { code, message: code, attempts: 1 } } : {}), ...(errorKey ? { errorKey } : {}),
});
const failed = (code: string, recorded = true) => o('failed', code, recorded ? 'e.json' : undefined);
const status = (...outcomes: RecordOutcome[]) => httpStatusOf(summarise({ kind: 's3', records: [], skipped: [] }, outcomes));

describe('normaliseEvent', () => {
  it('reads an S3 notification and skips non-create records', () => {
    const n = normaliseEvent(fixture('aws-s3-put.json'));
    expect(n.kind).toBe('s3');
    expect(n.records).toEqual([
      expect.objectContaining({ bucket: 'images', key: 'incoming/red flower+1 été.jpg', size: 1024, eTag: '0123456789abcdef0123456789abcdef', versionId: 'v1', sequencer: '0A1B2C3D4E5F678901', source: 'aws:s3' }),
    ]);
    expect(n.skipped).toEqual([expect.objectContaining({ reason: 'not-object-created', detail: 'ObjectRemoved:Delete' })]);
  });

  it('unwraps SQS (and SNS inside SQS), ignores the test event, reports a bad body by message id', () => {
    const n = normaliseEvent(fixture('sqs-s3.json'));
    expect(n.kind).toBe('sqs');
    expect(n.records.map((r) => [r.messageId, r.key, r.eTag])).toEqual([
      ['msg-1', 'a/b/c d.png', 'abc-2'],
      ['msg-3', 'via sns.jpg', 'e1'],
    ]);
    expect(n.skipped.map((s) => [s.messageId, s.reason])).toEqual([
      ['msg-2', 'test-event'],
      ['msg-4', 'unrecognised'],
    ]);
  });

  it('takes EventBridge keys as they are (not form-encoded)', () => {
    const n = normaliseEvent(fixture('eventbridge-object-created.json'));
    expect(n.kind).toBe('eventbridge');
    expect(n.records).toEqual([expect.objectContaining({ bucket: 'images', key: 'raw/c++ notes.jpg', size: 5, versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e', sequencer: '617f08299329d189', source: 'aws.s3-eventbridge' })]);
  });

  it('reads a MinIO webhook with an encoded nested key', () => {
    const n = normaliseEvent(fixture('minio-webhook.json'));
    expect(n.records).toEqual([expect.objectContaining({ bucket: 'images', key: 'nested/dir/photo 1.jpg', source: 'minio:s3' })]);
  });

  it('takes real Ceph radosgw keys verbatim (captured push: spaces, +, %, unicode are not encoded)', () => {
    const deliveries = fixture('ceph-radosgw-push.json') as unknown[];
    const records = deliveries.flatMap((d) => normaliseEvent(d).records);
    expect(records.map((r) => r.key)).toEqual(['plain.jpg', 'dir/sub dir/red flower.jpg', 'a+b=c&d.png', 'ünï/çødé 猫.jpg', 'pct%20x?.jpg']);
    expect(records[0]).toMatchObject({ bucket: 'capb', size: 3, eTag: '5289df737df57326fcdd22597afb1fac', versionId: undefined, source: 'ceph:s3', eventName: 'ObjectCreated:Put' });
  });

  it('skips EventBridge events that are not Object Created', () => {
    const e = { ...(fixture('eventbridge-object-created.json') as object), 'detail-type': 'Object Deleted' };
    const n = normaliseEvent(e);
    expect(n.records).toEqual([]);
    expect(n.skipped[0]).toMatchObject({ reason: 'not-object-created', detail: 'Object Deleted' });
  });

  it('reports anything else as unrecognised instead of throwing', () => {
    for (const e of [null, 42, 'x', [], { hello: 1 }]) {
      const n = normaliseEvent(e);
      expect(n.records).toEqual([]);
      expect(n.skipped[0]!.reason).toBe('unrecognised');
    }
  });

  it("rewrites Ceph's little-endian timestamp sequencers so later PUTs compare greater", () => {
    const records = (fixture('ceph-radosgw-push.json') as unknown[]).flatMap((d) => normaliseEvent(d).records);
    const raw = ['4756026B16EC5625', '4756026B9D9ADD25', '4756026BCDDA3F26', '4756026B19E2F126', '4756026BFE517627'];
    // As sent (in PUT order), the strings do not grow: the 4th sorts before the 3rd.
    expect(compareSequencers(raw[3]!, raw[2]!)).toBe(-1);
    // Rewritten: seconds 0x6B025647 (2026-11-22T02:41:11Z, the records' eventTime), then nanoseconds.
    expect(records.map((r) => r.sequencer)).toEqual(['6B0256472556EC16', '6B02564725DD9A9D', '6B025647263FDACD', '6B02564726F1E219', '6B025647277651FE']);
    expect(cephSequencer('not hex')).toBeUndefined();
  });
});

describe('decodeNotificationKey', () => {
  it('decodes as unquote_plus: + is a space, %2B is a plus, UTF-8 escapes', () => {
    expect(decodeNotificationKey('red+flower.jpg')).toBe('red flower.jpg');
    expect(decodeNotificationKey('c%2B%2B+notes.jpg')).toBe('c++ notes.jpg');
    expect(decodeNotificationKey('%C3%A9t%C3%A9%2Fx.png')).toBe('été/x.png');
  });
  it('keeps a malformed escape as it came rather than throwing', () => {
    expect(decodeNotificationKey('100%.jpg')).toBe('100%.jpg');
  });
});

describe('needsRedelivery', () => {
  it('transient: drops recorded failures about the object, keeps system failures and unrecorded ones', () => {
    for (const code of ['NOT_FOUND', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE']) expect(needsRedelivery(failed(code), 'transient'), code).toBe(false);
    for (const code of ['STORE_ERROR', 'QUEUE_FULL', 'NOT_READY', 'INTERNAL', 'SOME_NEW_CODE']) expect(needsRedelivery(failed(code), 'transient'), code).toBe(true);
    expect(needsRedelivery(failed('NOT_FOUND', false), 'transient')).toBe(true);
    expect(needsRedelivery({ bucket: 'b', key: 'k', status: 'cancelled' }, 'transient')).toBe(true);
    expect(needsRedelivery({ bucket: 'b', key: 'k', status: 'skipped' }, 'transient')).toBe(false);
  });

  it('every-failure (the Lambda default) redelivers any failure', () => {
    expect(needsRedelivery(failed('NOT_FOUND'), 'every-failure')).toBe(true);
    expect(needsRedelivery({ bucket: 'b', key: 'k', status: 'processed' }, 'every-failure')).toBe(false);
  });
});

describe('httpStatusOf', () => {
  it('answers 200 when all went through, 207 for failures about the objects themselves (recorded)', () => {
    expect(status(o('processed'), o('skipped'))).toBe(200);
    expect(status(o('processed'), o('failed', 'NOT_FOUND', 'e/k.json'), o('failed', 'BUCKET_NOT_ALLOWED', 'e/_refused/x'))).toBe(207);
  });

  it('answers 503 when a redelivery could finish the work: transient, unrecorded or cancelled', () => {
    expect(status(o('processed'), o('failed', 'STORE_ERROR', 'e/k.json'))).toBe(503);
    expect(status(o('failed', 'NOT_FOUND'))).toBe(503);
    expect(status(o('cancelled'))).toBe(503);
  });
});
