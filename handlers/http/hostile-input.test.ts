// HTTP-shape tests with a STAND-IN registry (test/helpers/fake-registry.ts): no model runs.
// Inputs built to break parsers (prototype keys, absurd nesting), and the metrics labels.
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { DEFAULT_DETECT_OPTIONS } from '../../core/options/index.js';
import { standInDeps } from '../../test/helpers/fake-registry.js';

const png = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } | string }).error;

describe('parameter names that are Object.prototype members', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('refuses ?%s=1 on detect as an unknown parameter (400)', async (name) => {
    const deps = standInDeps();
    const res = await createApp(deps).request(`/v1/models/stand-in/detect?${name}=1`, { method: 'POST', body: png, headers: { 'Content-Type': 'image/png' } });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(`received "${name}"`) });
    expect(deps.registry.calls).toHaveLength(0);
  });

  it('refuses "__proto__" as a JSON body field', async () => {
    const body = `{"image":"${Buffer.from(png).toString('base64')}","__proto__":{"conf":0.9}}`;
    const res = await createApp(standInDeps()).request('/v1/models/stand-in/detect', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('__proto__') });
  });

  it('ignores "__proto__" in KServe request parameters like any unknown name, never reading Object.prototype', async () => {
    const body = `{"parameters":{"__proto__":{"conf":0.9}},"inputs":[{"name":"images","shape":[1],"datatype":"BYTES","data":["${Buffer.from(png).toString('base64')}"]}]}`;
    const deps = standInDeps();
    const res = await createApp(deps).request('/v2/models/stand-in/infer', { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(deps.registry.calls[0]!.options).toEqual(DEFAULT_DETECT_OPTIONS);
  });
});

describe('KServe JSON data nested absurdly deep', () => {
  it('answers 400 (not a 500 from a stack overflow) for data nested 100,000 deep', async () => {
    const depth = 100_000;
    const data = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const body = `{"inputs":[{"name":"images","shape":[1,3,2,2],"datatype":"FP32","data":${data}}]}`;
    const deps = standInDeps();
    const res = await createApp(deps).request('/v2/models/stand-in/infer', { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatch(/input 'images': data is nested more than 32 arrays deep/);
    expect(deps.lines.some((l) => l.level === 50)).toBe(false);
  });

  it('still takes nested data that follows the shape', async () => {
    const res = await createApp(standInDeps()).request('/v2/models/stand-in/infer', {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'images', shape: [1, 1, 1, 2], datatype: 'FP32', data: [[[[0.5, 0.25]]]] }] }),
    });
    // Past the data check: the stand-in model refuses tensors, which is a 500 from the stand-in itself.
    expect(await errorOf(res)).not.toMatch(/nested/);
  });
});

describe('metrics label KServe requests by route template', () => {
  it('counts each /v2 route under its own template, not "/v2/*"', async () => {
    const deps = standInDeps();
    const app = createApp(deps);
    for (const path of ['/v2/models/stand-in/ready', '/v2/models/stand-in', '/v2/health/live', '/v2/models/stand-in/versions/1', '/v2/nothing']) await app.request(path);
    const text = await deps.metrics.render();
    for (const route of ['/v2/models/:model/ready', '/v2/models/:model', '/v2/health/live', '/v2/models/:model/versions/:version']) {
      expect(text).toContain(`detectfn_http_requests_total{route="${route}",method="GET",status="200"} 1`);
    }
    expect(text).toContain('detectfn_http_requests_total{route="/v2/*",method="GET",status="404"} 1');
  });
});
