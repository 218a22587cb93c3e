import { describe, expect, it } from 'vitest';
import type { EventProcessor, RecordOutcome } from '../../infra/events/index.js';
import { silentLogger } from '../../infra/log/index.js';
import { createObjectEventHandler } from './lambda-events.js';
import { sqsBatchHandler } from './queue-consumer.js';
import { needsRedelivery } from './redelivery.js';

const failed = (code: string, recorded = true): RecordOutcome => ({ bucket: 'b', key: 'k', status: 'failed', error: { code, message: 'x', attempts: 1 }, ...(recorded ? { errorKey: 'e.json' } : {}) });

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

describe('sqsBatchHandler', () => {
  it('deletes all but the messages the object-event handler reports for redelivery', async () => {
    // STAND-IN processor: outcomes chosen per key (real processing: test/integration/sqs-consumer.test.ts).
    const codes: Record<string, string> = { 'corrupt.png': 'UNSUPPORTED_MEDIA_TYPE', 'flaky.png': 'STORE_ERROR' };
    const processor: EventProcessor = {
      process: async (records) => records.map((r) => (codes[r.key] ? { ...failed(codes[r.key]!), key: r.key, messageId: r.messageId } : { bucket: r.bucket, key: r.key, messageId: r.messageId, status: 'processed' as const })),
      inMemory: () => 0,
    };
    const handle = createObjectEventHandler({ processor: () => processor, whenReady: async () => undefined, logger: silentLogger(), redelivery: 'transient' });
    const s3 = (key: string) => JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key } } }] });
    const messages = [
      { id: 'ok', body: s3('ok.png') }, { id: 'corrupt', body: s3('corrupt.png') }, { id: 'flaky', body: s3('flaky.png') },
      { id: 'test', body: JSON.stringify({ Event: 's3:TestEvent' }) }, { id: 'junk', body: 'not json' }, { id: 'empty', body: undefined },
    ].map((m) => ({ ...m, receiveCount: 1 }));
    expect(await sqsBatchHandler(handle)(messages)).toEqual(['ok', 'corrupt', 'test']);
  });
});
