// HTTP-shape test with a STAND-IN registry (test/helpers/fake-registry.ts): no model runs.
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { standInDeps } from '../../test/helpers/fake-registry.js';

describe('request id', () => {
  it('keeps a sane incoming X-Request-Id and echoes it', async () => {
    const app = createApp(standInDeps());
    const res = await app.request('/healthz', { headers: { 'X-Request-Id': 'abc-123_x=' } });
    expect(res.headers.get('X-Request-Id')).toBe('abc-123_x=');
  });

  it.each([['has spaces'], ['{"inject":1}'], ['x'.repeat(129)]])('replaces an unsafe id (%s) with a UUID', async (id) => {
    const app = createApp(standInDeps());
    const res = await app.request('/healthz', { headers: { 'X-Request-Id': id } });
    expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('generates distinct ids and logs the same id as the header, also on errors', async () => {
    const deps = standInDeps();
    const app = createApp(deps);
    const a = await app.request('/v1/models/nope');
    const b = await app.request('/healthz');
    expect(a.headers.get('X-Request-Id')).not.toBe(b.headers.get('X-Request-Id'));
    const warn = deps.lines.find((l) => l.msg && l.code === 'MODEL_NOT_FOUND');
    expect(warn?.reqId).toBe(a.headers.get('X-Request-Id'));
  });
});
