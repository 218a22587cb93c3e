/**
 * Lambda result shapes, with a STAND-IN processor that fails chosen keys (the processing
 * itself runs against the real radosgw in test/integration/s3-events.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EventProcessor, RecordOutcome } from '../../infra/events/index.js';
import { silentLogger } from '../../infra/log/index.js';
import { createObjectEventHandler } from './lambda-events.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../test/fixtures/events/${name}`, import.meta.url), 'utf8'));

function handlerFailing(...failing: string[]) {
  const processor: EventProcessor = {
    process: async (records) =>
      records.map((r): RecordOutcome => ({ bucket: r.bucket, key: r.key, messageId: r.messageId, status: failing.includes(r.key) ? 'failed' : 'processed', ...(failing.includes(r.key) ? { error: { code: 'NOT_FOUND', message: 'gone', attempts: 1 } } : {}) })),
    inMemory: () => 0,
  };
  return createObjectEventHandler({ processor: () => processor, whenReady: async () => undefined, logger: silentLogger() });
}

const sqs = (bodies: Record<string, unknown>) => ({
  Records: Object.entries(bodies).map(([messageId, body]) => ({ messageId, eventSource: 'aws:sqs', body: typeof body === 'string' ? body : JSON.stringify(body) })),
});
const s3 = (key: string) => ({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key, eTag: 'e' } } }] });

describe('createObjectEventHandler', () => {
  it('answers SQS with the message ids of failed records and of bodies that are not object events', async () => {
    const out = await handlerFailing('bad.jpg')(sqs({ m1: s3('ok.jpg'), m2: s3('bad.jpg'), m3: 'not json', m4: { Event: 's3:TestEvent' } }));
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
  });

  it('returns a summary for S3 and EventBridge when all succeed, and throws naming the failures otherwise', async () => {
    await expect(handlerFailing()(fixture('eventbridge-object-created.json'))).resolves.toMatchObject({ counts: { processed: 1, failed: 0 } });
    await expect(handlerFailing('bad.jpg')(s3('bad.jpg'))).rejects.toThrow(/1 of 1 object\(s\) failed: s3:\/\/b\/bad.jpg \(NOT_FOUND\)/);
  });
});
