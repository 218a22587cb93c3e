import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECT_OPTIONS } from '../../core/options.js';
import { standInDeps } from '../../test/helpers/fake-registry.js';
import { createApp } from './app.js';

// HTTP-shape test with a STAND-IN registry (test/helpers/fake-registry.ts): no model runs.
// The stand-in's detection box ends at the image's byte length, which shows which bytes arrived.

const URL_ = '/v1/models/stand-in/detect';
const bytes = (n: number) => new Uint8Array(n).fill(7);
type Single = { image: unknown; detections: { box: number[] }[]; timings: Record<string, number> };
type List = { results: Single[] };

function setup(env: Record<string, string> = {}) {
  const deps = standInDeps(env);
  return { deps, app: createApp(deps) };
}

describe('detect body parsing', () => {
  it.each(['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'])('takes raw %s bytes', async (type) => {
    const { app, deps } = setup();
    const res = await app.request(URL_, { method: 'POST', body: bytes(11), headers: { 'Content-Type': type } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Single).detections[0]!.box[3]).toBe(11);
    expect(deps.registry.calls[0]!.bytes).toEqual(bytes(11));
    expect(res.headers.get('Server-Timing')).toBe('decode;dur=1, preprocess;dur=2, queue;dur=3, infer;dur=4, postprocess;dur=5, total;dur=15');
  });

  it('takes multipart parts in order; text parts are parameters', async () => {
    const { app, deps } = setup();
    const form = new FormData();
    for (const n of [5, 9, 3]) form.append('image', new Blob([bytes(n)], { type: 'image/jpeg' }), `${n}.jpg`);
    form.append('conf', '0.4');
    const res = await app.request(URL_, { method: 'POST', body: form });
    const body = (await res.json()) as List;
    expect(body.results.map((r) => r.detections[0]!.box[3])).toEqual([5, 9, 3]);
    expect(deps.registry.calls[0]!.options?.conf).toBe(0.4);
  });

  it('answers one multipart part in the single form', async () => {
    const { app } = setup();
    const form = new FormData();
    form.append('image', new Blob([bytes(4)]), 'a.png');
    const body = (await (await app.request(URL_, { method: 'POST', body: form })).json()) as Single;
    expect(body.detections[0]!.box[3]).toBe(4);
  });

  it('takes JSON base64, data: URLs and lists; body fields win over the query', async () => {
    const { app, deps } = setup();
    const b64 = Buffer.from(bytes(6)).toString('base64');
    const one = await app.request(`${URL_}?conf=0.1&max_det=7`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ image: b64, conf: 0.3 }) });
    expect(((await one.json()) as Single).detections[0]!.box[3]).toBe(6);
    expect(deps.registry.calls[0]!.options).toMatchObject({ conf: 0.3, maxDet: 7 });
    const list = await app.request(URL_, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ images: [`data:image/png;base64,${b64}`, Buffer.from(bytes(2)).toString('base64')] }) });
    expect(((await list.json()) as List).results.map((r) => r.detections[0]!.box[3])).toEqual([6, 2]);
  });

  it.each([
    ['empty raw body', { body: new Uint8Array(0), headers: { 'Content-Type': 'image/jpeg' } }, 400, 'EMPTY_BODY'],
    ['no body, no type', {}, 400, 'EMPTY_BODY'],
    ['text/plain', { body: 'hello', headers: { 'Content-Type': 'text/plain' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['bad JSON', { body: '{', headers: { 'Content-Type': 'application/json' } }, 400, 'INVALID_ARGUMENT'],
    ['JSON without image', { body: '{"conf":0.5}', headers: { 'Content-Type': 'application/json' } }, 400, 'INVALID_ARGUMENT'],
    ['bad base64', { body: '{"image":"@@@"}', headers: { 'Content-Type': 'application/json' } }, 400, 'INVALID_ARGUMENT'],
    ['empty base64', { body: '{"image":""}', headers: { 'Content-Type': 'application/json' } }, 400, 'EMPTY_BODY'],
    ['unknown parameter', { body: '{"image":"AAAA","maxdet":3}', headers: { 'Content-Type': 'application/json' } }, 400, 'INVALID_ARGUMENT'],
    ['bad conf', { body: '{"image":"AAAA","conf":2}', headers: { 'Content-Type': 'application/json' } }, 400, 'INVALID_ARGUMENT'],
    ['bad format', { body: '{"image":"AAAA","format":"xml"}', headers: { 'Content-Type': 'application/json' } }, 400, 'INVALID_ARGUMENT'],
  ] as const)('refuses %s', async (_name, init, status, code) => {
    const { app, deps } = setup();
    const res = await app.request(URL_, { method: 'POST', ...init });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    expect(deps.registry.calls).toHaveLength(0);
  });

  it('caps the body: 413 PAYLOAD_TOO_LARGE, by Content-Length and when streamed', async () => {
    const { app } = setup({ DETECTFN_MAX_BODY_BYTES: '100' });
    const res = await app.request(URL_, { method: 'POST', body: bytes(101), headers: { 'Content-Type': 'image/jpeg' } });
    expect(res.status).toBe(413);
    const stream = new ReadableStream({ start(c) { c.enqueue(bytes(60)); c.enqueue(bytes(60)); c.close(); } });
    const streamed = await app.request(URL_, { method: 'POST', body: stream, headers: { 'Content-Type': 'image/jpeg', 'Transfer-Encoding': 'chunked' }, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('404s an unknown model before reading the body, and passes deadline, signal and reqId', async () => {
    const { app, deps } = setup({ DETECTFN_REQUEST_TIMEOUT_MS: '5000' });
    expect((await app.request('/v1/models/other/detect', { method: 'POST', body: bytes(3), headers: { 'Content-Type': 'image/png' } })).status).toBe(404);
    const before = performance.now();
    const res = await app.request(URL_, { method: 'POST', body: bytes(3), headers: { 'Content-Type': 'image/png', 'X-Request-Id': 'r1' } });
    const ctx = deps.registry.calls[0]!.ctx!;
    expect(ctx.reqId).toBe('r1');
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
    expect(ctx.deadline! - before).toBeGreaterThan(4000);
    expect(res.status).toBe(200);
  });
});

describe('detect parameters (core/options\' one parser)', () => {
  it('reads a bare ?render= as true, like a bare ?agnostic=: both are flags', async () => {
    const { app, deps } = setup();
    const asFlag = await app.request(`${URL_}?render=&format=padded`, { method: 'POST', body: bytes(4), headers: { 'Content-Type': 'image/png' } });
    expect(asFlag.status).toBe(400);
    expect(await asFlag.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: 'render=true takes exactly one image and no format' } });
    const off = await app.request(`${URL_}?render=0&format=padded&agnostic=`, { method: 'POST', body: bytes(4), headers: { 'Content-Type': 'image/png' } });
    expect(off.status).toBe(200);
    expect(deps.registry.calls[0]!.options).toMatchObject({ agnostic: true });
  });

  it('takes snake_case and camelCase names alike, body fields over the query', async () => {
    const { app, deps } = setup();
    const body = JSON.stringify({ image: Buffer.from(bytes(3)).toString('base64'), max_det: 7 });
    const res = await app.request(`${URL_}?maxDet=9&max_nms=50`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(deps.registry.calls[0]!.options).toEqual({ ...DEFAULT_DETECT_OPTIONS, maxDet: 7, maxNms: 50 });
  });

  it('refuses a name that is neither an option nor format/render, before the model runs', async () => {
    const { app, deps } = setup();
    const res = await app.request(`${URL_}?maxdet=5`, { method: 'POST', body: bytes(4), headers: { 'Content-Type': 'image/png' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^Expected one of conf, iou, max_det, .* for parameter name but received "maxdet"/);
    expect(deps.registry.calls).toHaveLength(0);
  });
});

// HTTP-shape tests with a STAND-IN registry (test/helpers/fake-registry.ts): no model runs.
// Inputs built to break parsers (prototype keys, absurd nesting), and the metrics labels.

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
    // The stand-in's own input shape: the header fits the model, so the data is what is read.
    const body = `{"inputs":[{"name":"images","shape":[1,3,32,32],"datatype":"FP32","data":${data}}]}`;
    const deps = standInDeps();
    const res = await createApp(deps).request('/v2/models/stand-in/infer', { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatch(/input 'images': data is nested more than 32 arrays deep/);
    expect(deps.lines.some((l) => l.level === 50)).toBe(false);
  });

  it('still takes nested data that follows the shape', async () => {
    const res = await createApp(standInDeps()).request('/v2/models/stand-in/infer', {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'images', shape: [1, 3, 32, 32], datatype: 'FP32', data: [Array.from({ length: 3 }, () => Array.from({ length: 32 }, () => new Array(32).fill(0.5)))] }] }),
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
