// HTTP-shape test with a STAND-IN registry (test/helpers/fake-registry.ts): no model runs.
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { DetectError, ERROR_STATUS, type ErrorCode } from '../../core/errors/index.js';
import { standInDeps } from '../../test/helpers/fake-registry.js';

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
