/**
 * The rules every surface shares. The request-id rule runs twice by design (hono/request-id over
 * HTTP, requestIdFrom for gRPC metadata), so the two are checked to agree id by id.
 */
import { describe, expect, it } from 'vitest';
import { DetectError } from '../core/errors.js';
import { standInDeps } from '../test/helpers/fake-registry.js';
import { createApp } from './http/app.js';
import { createTokenCheck, MAX_REQUEST_ID_LENGTH, requestIdFrom } from './request.js';

describe('request id', () => {
  const ids = ['abc-123_x=', 'a', 'x'.repeat(MAX_REQUEST_ID_LENGTH), 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1), 'has space', 'quote"', 'a;b', '{"level":60}'];

  it('keeps a sane caller id (1..128 of [A-Za-z0-9_=-]) and replaces anything else with a UUID, as HTTP does', async () => {
    const app = createApp(standInDeps());
    for (const id of ids) {
      const overHttp = (await app.request('/healthz', { headers: { 'X-Request-Id': id } })).headers.get('X-Request-Id');
      const kept = requestIdFrom(id) === id;
      expect(overHttp === id, JSON.stringify(id)).toBe(kept);
      if (!kept) expect(requestIdFrom(id)).toMatch(/^[0-9a-f-]{36}$/);
    }
    // What HTTP headers cannot carry, gRPC metadata can: refused the same way.
    for (const id of ['new\nline', 'ünï', undefined]) expect(requestIdFrom(id)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom('')).not.toBe('');
  });
});

describe('bearer keys', () => {
  it('pass every token with no keys; otherwise UNAUTHORIZED for a missing or unknown token', () => {
    expect(() => createTokenCheck([])(undefined)).not.toThrow();
    const check = createTokenCheck(['k1', 'k2']);
    expect(() => check('k2')).not.toThrow();
    expect(() => check(undefined)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED', message: 'missing bearer token (Authorization: Bearer <key>)' }) as DetectError);
    expect(() => check('k3')).toThrow('invalid bearer token');
  });
});
