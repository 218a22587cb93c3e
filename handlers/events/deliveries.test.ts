import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../infra/config.js';
import type { EventProcessor, RecordOutcome } from '../../infra/events/processor.js';
import { standInDeps } from '../../test/helpers/fake-registry.js';
import { createApp } from '../http/app.js';
import { createObjectEventHandler } from './deliveries.js';

/**
 * Lambda result shapes, with a STAND-IN processor that fails chosen keys (the processing
 * itself runs against the real radosgw in test/integration/s3-events.test.ts).
 */

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

// ---- events.test ----
/**
 * The event route as createApp mounts it by default, on the STAND-IN registry (shape only:
 * processing runs against the real radosgw in test/integration/s3-events.test.ts).
 */

const post = (app: ReturnType<typeof createApp>, body: string) => app.request('/v1/events/s3', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
const s3Event = JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'k.jpg' } } }] });

describe('POST /v1/events/s3 (default wiring)', () => {
  it('refuses object events with CONFIG_INVALID when DETECTFN_EVENTS_OUTPUT is unset', async () => {
    const res = await post(createApp(standInDeps()), s3Event);
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
    const res = await post(createApp(deps), s3Event);
    expect(res.status).toBe(503);
  });
});
