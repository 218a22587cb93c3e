// HTTP-shape test with a STAND-IN registry (test/helpers/fake-registry.ts): no model runs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { standInDeps } from '../../test/helpers/fake-registry.js';
import { loadApiKeys } from './auth.js';

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
