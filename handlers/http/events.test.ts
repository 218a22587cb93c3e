/**
 * The event route as createApp mounts it by default, on the STAND-IN registry (shape only:
 * processing runs against the real radosgw in test/integration/s3-events.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { standInDeps } from '../../test/helpers/fake-registry.js';

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
