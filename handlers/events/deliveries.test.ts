/**
 * What each delivery answers, with a STAND-IN processor whose outcomes are chosen per key, and
 * the event route as createApp mounts it on the STAND-IN registry (shapes only: the processing
 * itself runs against the real radosgw in test/integration/s3-events.test.ts and
 * sqs-consumer.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../infra/config.js';
import type { EventProcessor, RecordOutcome } from '../../infra/events/processor.js';
import { standInDeps } from '../../test/helpers/fake-registry.js';
import { createApp } from '../http/app.js';
import { createObjectEventHandler, sqsBatchHandler } from './deliveries.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../test/fixtures/events/${name}`, import.meta.url), 'utf8'));

/** Fails the keys in `codes` with that code (with an error record when `recorded`); processes the rest. */
function standInProcessor(codes: Record<string, string>, recorded: boolean): EventProcessor {
  return {
    process: async (records) =>
      records.map((r): RecordOutcome => {
        const base = { bucket: r.bucket, key: r.key, messageId: r.messageId };
        const code = codes[r.key];
        if (!code) return { ...base, status: 'processed' };
        return { ...base, status: 'failed', error: { code, message: 'gone', attempts: 1 }, ...(recorded ? { errorKey: `e/${r.key}.json` } : {}) };
      }),
    inMemory: () => 0,
  };
}

function handlerFailing(...failing: string[]) {
  const processor = standInProcessor(Object.fromEntries(failing.map((k) => [k, 'NOT_FOUND'])), false);
  return createObjectEventHandler({ processor: () => processor, whenReady: async () => undefined, logger: silentLogger() });
}

const s3 = (key: string) => ({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key, eTag: 'e' } } }] });
const sqs = (bodies: Record<string, unknown>) => ({
  Records: Object.entries(bodies).map(([messageId, body]) => ({ messageId, eventSource: 'aws:sqs', body: typeof body === 'string' ? body : JSON.stringify(body) })),
});

describe('createObjectEventHandler (Lambda)', () => {
  it('answers SQS with the message ids of failed records and of bodies that are not object events', async () => {
    const out = await handlerFailing('bad.jpg')(sqs({ m1: s3('ok.jpg'), m2: s3('bad.jpg'), m3: 'not json', m4: { Event: 's3:TestEvent' } }));
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
  });

  it('returns a summary for S3 and EventBridge when all succeed, and throws naming the failures otherwise', async () => {
    await expect(handlerFailing()(fixture('eventbridge-object-created.json'))).resolves.toMatchObject({ counts: { processed: 1, failed: 0 } });
    await expect(handlerFailing('bad.jpg')(s3('bad.jpg'))).rejects.toThrow(/1 of 1 object\(s\) failed: s3:\/\/b\/bad.jpg \(NOT_FOUND\)/);
  });
});

describe('sqsBatchHandler (the SQS consumer)', () => {
  it('deletes all but the messages the object-event handler reports for redelivery', async () => {
    const processor = standInProcessor({ 'corrupt.png': 'UNSUPPORTED_MEDIA_TYPE', 'flaky.png': 'STORE_ERROR' }, true);
    const handle = createObjectEventHandler({ processor: () => processor, whenReady: async () => undefined, logger: silentLogger(), redelivery: 'transient' });
    const messages = [
      { id: 'ok', body: JSON.stringify(s3('ok.png')) }, { id: 'corrupt', body: JSON.stringify(s3('corrupt.png')) }, { id: 'flaky', body: JSON.stringify(s3('flaky.png')) },
      { id: 'test', body: JSON.stringify({ Event: 's3:TestEvent' }) }, { id: 'junk', body: 'not json' }, { id: 'empty', body: undefined },
    ].map((m) => ({ ...m, receiveCount: 1 }));
    expect(await sqsBatchHandler(handle)(messages)).toEqual(['ok', 'corrupt', 'test']);
  });
});

describe('POST /v1/events/s3 (default wiring)', () => {
  const post = (app: ReturnType<typeof createApp>, body: string) => app.request('/v1/events/s3', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });

  it('refuses object events with CONFIG_INVALID when DETECTFN_EVENTS_OUTPUT is unset', async () => {
    const res = await post(createApp(standInDeps()), JSON.stringify(s3('k.jpg')));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'CONFIG_INVALID', message: expect.stringMatching(/DETECTFN_EVENTS_OUTPUT/) } });
  });

  it('answers 400 for a body that is not JSON, and 200 with the ignored records for a test event', async () => {
    const app = createApp(standInDeps({ DETECTFN_EVENTS_OUTPUT: 's3://out/results/' }));
    expect((await post(app, '{nope')).status).toBe(400);
    const res = await post(app, JSON.stringify({ Event: 's3:TestEvent' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ counts: { processed: 0, failed: 0, ignored: 1 }, ignored: [{ reason: 'test-event' }] });
  });

  it('answers 503 NOT_READY while the model loads, before anything is read', async () => {
    const deps = standInDeps({ DETECTFN_EVENTS_OUTPUT: 's3://out/results/' });
    deps.registry.ready = false;
    const res = await post(createApp(deps), JSON.stringify(s3('k.jpg')));
    expect(res.status).toBe(503);
  });
});
