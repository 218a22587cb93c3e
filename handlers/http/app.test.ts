import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetectError, ERROR_STATUS, type ErrorCode } from '../../core/errors.js';
import { standInDeps } from '../../test/helpers/fake-registry.js';
import { loadApiKeys } from '../request.js';
import { createApp } from './app.js';

// HTTP-shape test with a STAND-IN registry (test/helpers/fake-registry.ts): no model runs.

describe('bearer auth', () => {
  it('is off when no keys are configured', async () => {
    const res = await createApp(standInDeps()).request('/v1/models');
    expect(res.status).toBe(200);
  });

  it('refuses a missing or wrong token with 401 and WWW-Authenticate, accepts a right one', async () => {
    const app = createApp(standInDeps({ DETECTFN_API_KEYS: 'k1,second-key' }));
    for (const headers of [{}, { Authorization: 'Bearer nope' }, { Authorization: 'Basic k1' }, { Authorization: 'Bearer k1x' }] as Record<string, string>[]) {
      const res = await app.request('/v1/models', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    expect((await app.request('/v1/models', { headers: { Authorization: 'Bearer second-key' } })).status).toBe(200);
    expect((await app.request('/v1/models', { headers: { Authorization: 'bearer k1' } })).status).toBe(200);
  });

  it('leaves health probes open', async () => {
    const app = createApp(standInDeps({ DETECTFN_API_KEYS: 'k1' }));
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
    expect((await app.request('/metrics')).status).toBe(401);
  });

  it('protects extra route groups except /v2/health/*', async () => {
    const app = createApp(standInDeps({ DETECTFN_API_KEYS: 'k1' }), {
      extraRoutes: [(a) => { a.get('/v2/health/live', (c) => c.json({ live: true })); a.get('/v2/models', (c) => c.json({})); }],
    });
    expect((await app.request('/v2/health/live')).status).toBe(200);
    expect((await app.request('/v2/models')).status).toBe(401);
  });

  it('reads keys from DETECTFN_API_KEYS_FILE, skipping blanks and comments', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'detectfn-keys-')), 'keys');
    writeFileSync(file, '# ops keys\nfile-key-1\n\n  file-key-2  \n');
    expect(loadApiKeys({ DETECTFN_API_KEYS: ['env-key'], DETECTFN_API_KEYS_FILE: file })).toEqual(['env-key', 'file-key-1', 'file-key-2']);
    expect(() => loadApiKeys({ DETECTFN_API_KEYS: [], DETECTFN_API_KEYS_FILE: `${file}.missing` })).toThrow(/DETECTFN_API_KEYS_FILE/);
  });
});

describe('auth errors and webhook tokens', () => {
  it('answers a 401 under /v2 in the Open Inference Protocol error shape', async () => {
    const app = createApp(standInDeps({ DETECTFN_API_KEYS: 'k1' }));
    const res = await app.request('/v2/models/demo');
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: unknown };
    expect(typeof body.error).toBe('string');
    expect(body.error).toMatch(/bearer token/);
  });

  it('accepts ?access_token= on the S3 event webhook only (stores cannot send headers)', async () => {
    const app = createApp(standInDeps({ DETECTFN_API_KEYS: 'k1' }));
    expect((await app.request('/v1/events/s3?access_token=wrong', { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await app.request('/v1/events/s3?access_token=k1', { method: 'POST', body: '{}' })).status).not.toBe(401);
    expect((await app.request('/v1/models?access_token=k1')).status).toBe(401);
  });
});

// HTTP-shape test with a STAND-IN registry (test/helpers/fake-registry.ts): no model runs.

const post = (app: ReturnType<typeof createApp>) =>
  app.request('/v1/models/stand-in/detect', { method: 'POST', body: new Uint8Array([1, 2, 3]), headers: { 'Content-Type': 'image/jpeg' } });

describe('error mapper', () => {
  it.each(Object.keys(ERROR_STATUS) as ErrorCode[])('maps DetectError %s to its status with {error:{code,message}}', async (code) => {
    const deps = standInDeps();
    deps.registry.failWith = new DetectError(code, `boom ${code}`);
    const res = await post(createApp(deps));
    expect(res.status).toBe(ERROR_STATUS[code]);
    expect(await res.json()).toEqual({ error: { code, message: `boom ${code}` } });
    const line = deps.lines.find((l) => l.code === code);
    const expected = code === 'QUEUE_FULL' || code === 'NOT_READY' || ERROR_STATUS[code] < 500;
    expect(line).toMatchObject({ reqId: res.headers.get('X-Request-Id'), status: ERROR_STATUS[code], level: expected ? 40 : 50 });
  });

  it.each(['QUEUE_FULL', 'NOT_READY'] as const)('logs the expected 503 %s as one warn line without a stack', async (code) => {
    const deps = standInDeps();
    deps.registry.failWith = new DetectError(code, `shed ${code}`, { retryAfterS: 1 });
    const res = await post(createApp(deps));
    expect(res.status).toBe(503);
    const lines = deps.lines.filter((l) => l.reqId === res.headers.get('X-Request-Id') && (l.level as number) >= 40);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, code, msg: `shed ${code}` });
    expect(JSON.stringify(lines[0])).not.toContain('stack');
  });

  it('sets Retry-After when the error carries one', async () => {
    const deps = standInDeps();
    deps.registry.failWith = new DetectError('QUEUE_FULL', 'queue full', { retryAfterS: 2.2 });
    const res = await post(createApp(deps));
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('3');
  });

  it('turns an unknown error into a generic 500, logging the stack but never leaking the message', async () => {
    const deps = standInDeps();
    deps.registry.failWith = new TypeError('secret internals at /srv/x');
    const res = await post(createApp(deps));
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body).toEqual({ error: { code: 'INTERNAL', message: 'Internal Server Error' } });
    const line = deps.lines.find((l) => l.level === 50) as { err: { stack: string }; reqId: string };
    expect(line.err.stack).toContain('secret internals');
    expect(line.reqId).toBe(res.headers.get('X-Request-Id'));
  });

  it('answers unknown routes with 404 NOT_FOUND in the same shape', async () => {
    const res = await createApp(standInDeps()).request('/nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('records route pattern, method and status in the access log and metrics', async () => {
    const deps = standInDeps();
    const app = createApp(deps);
    await post(app);
    const access = deps.lines.find((l) => l.msg === 'request');
    expect(access).toMatchObject({ route: '/v1/models/:model/detect', method: 'POST', status: 200 });
    expect(await deps.metrics.render()).toMatch(/detectfn_http_requests_total\{route="\/v1\/models\/:model\/detect",method="POST",status="200"\} 1/);
  });
});

// HTTP-shape test with a STAND-IN registry (test/helpers/fake-registry.ts): no model runs.

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
