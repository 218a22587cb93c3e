import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { standInDeps } from '../../test/helpers/fake-registry.js';
import { createApp } from './app.js';
import { loadUiPage } from './page.js';

// HTTP-shape test of GET / with a STAND-IN registry (test/helpers/fake-registry.ts): no model
// runs here. The page in a real browser against real models: test/integration/web-ui.test.ts.

const sha = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

describe('GET / (the web page)', () => {
  it('serves one self-contained page: the script inlined, a CSP that allows only it, no external URL', async () => {
    const res = await createApp(standInDeps()).request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1];
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1];
    expect(script).toContain("api('/v1/models')");
    expect(html).not.toMatch(/<script src=|<link /);
    const csp = res.headers.get('Content-Security-Policy')!;
    expect(csp).toContain(`script-src ${sha(script!)}`);
    expect(csp).toContain(`style-src ${sha(style!)}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    // The only absolute URL is the SVG namespace name, which is an identifier, never fetched.
    expect(new Set(html.match(/https?:\/\/[^\s"'`)]+/g))).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('is off with DETECTFN_UI=off: / is an ordinary 404', async () => {
    const res = await createApp(standInDeps({ DETECTFN_UI: 'off' })).request('/');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /' } });
  });

  it('stays open when API keys are set, while the API it calls answers 401 without the key', async () => {
    const app = createApp(standInDeps({ DETECTFN_API_KEYS: 'k1' }));
    expect((await app.request('/')).status).toBe(200);
    expect((await app.request('/v1/models')).status).toBe(401);
    expect((await app.request('/index.html')).status).toBe(401);
    expect((await app.request('/v1/models', { headers: { Authorization: 'Bearer k1' } })).status).toBe(200);
  });

  it('refuses to start without its files, naming them and the fix', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-ui-')) + '/';
    expect(() => loadUiPage(dir)).toThrow(/page\.html, .*page\.js missing \(scripts\/build\.mjs copies handlers\/http\/ui\/ to dist\/ui\/; DETECTFN_UI=off/);
    writeFileSync(dir + 'page.html', '<html></html>');
    writeFileSync(dir + 'page.js', '');
    expect(() => loadUiPage(dir)).toThrow(/needs one <style> and <script src="page.js"><\/script>/);
    writeFileSync(dir + 'page.html', '<style></style><script src="page.js"></script>');
    writeFileSync(dir + 'page.js', 'const s = "</script>";');
    expect(() => loadUiPage(dir)).toThrow(/page\.js must not contain <\/script>/);
  });
});
