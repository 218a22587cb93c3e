/**
 * The HTTP function end to end: the real server (startServer) on 127.0.0.1:0 with the real
 * demo model and yolov8n, real sockets, real fetches. Server A: auth off, both models (its
 * /readyz is probed before they are warm). Server B: auth on, 1 ms deadline, 64 KiB body cap.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { type CapturedLog, capturingLogger } from '../helpers/capture-logger.js';
import { compareDetections, referenceFor } from '../helpers/reference-detections.js';
import { IMAGES, MODELS, repoRoot } from '../helpers/shared-data.js';
import { type Box, type DrawnShape, shapeImage } from '../helpers/shape-images.js';

type Det = { box: Box; score: number; classId: number; label: string };
type Single = { model: string; image: { width: number; height: number }; detections: Det[]; timings: Record<string, number> };

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
const DEMO = path.join(repoRoot, 'models/demo.json');
let a: RunningServer, b: RunningServer, logA: CapturedLog, logB: CapturedLog;
let demo: string, yolo: string, earlyReady: Response, earlyHealth: Response;

beforeAll(async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  logA = capturingLogger();
  logB = capturingLogger();
  const base = { HOST: '127.0.0.1', PORT: 0 };
  a = await startServer({ env: {}, logger: logA.logger, config: { ...base, DETECTFN_MODELS: [DEMO, MODELS.yolov8n()] } });
  [earlyReady, earlyHealth] = await Promise.all([fetch(`${a.url}/readyz`), fetch(`${a.url}/healthz`)]);
  b = await startServer({
    env: {}, logger: logB.logger,
    config: { ...base, DETECTFN_MODELS: [DEMO], DETECTFN_API_KEYS: ['k-one', 'k-two'], DETECTFN_REQUEST_TIMEOUT_MS: 1, DETECTFN_MAX_BODY_BYTES: 65536 },
  });
  await Promise.all([a.ready, b.ready]);
  [demo, yolo] = a.registry.names() as [string, string];
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const detect = (srv: RunningServer, model: string, init: RequestInit & { query?: string } = {}) =>
  fetch(`${srv.url}/v1/models/${model}/detect${init.query ?? ''}`, { method: 'POST', ...init });

function expectBoxNear(got: Box, want: Box, tol: number): void {
  got.forEach((v, i) => expect(Math.abs(v - want[i]!), `coord ${i}: got ${got} want ${want}`).toBeLessThanOrEqual(tol));
}

describe('health and readiness', () => {
  it('answers /healthz 200 and /readyz 503 NOT_READY with Retry-After before the models are warm', async () => {
    expect(earlyHealth.status).toBe(200);
    expect(earlyReady.status).toBe(503);
    expect(earlyReady.headers.get('Retry-After')).toBe('1');
    const body = (await earlyReady.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('NOT_READY');
    expect(body.error.message).toMatch(/not ready: .+/);
  });

  it('answers /readyz 200 once warm; /metrics has request counters and the libvips gauge', async () => {
    expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${a.url}/metrics`)).text();
    expect(text).toContain('detectfn_http_requests_total{route="/readyz",method="GET",status="503"}');
    expect(text).toContain('detectfn_libvips_queue');
  });

  it('lists and describes models', async () => {
    const list = (await (await fetch(`${a.url}/v1/models`)).json()) as { models: { name: string; warm: boolean }[] };
    expect(list.models.map((m) => m.name)).toEqual([demo, yolo]);
    const one = (await (await fetch(`${a.url}/v1/models/${demo}`)).json()) as { labels: string[]; warm: boolean };
    expect(one.labels).toEqual(['red', 'green', 'blue', 'yellow']);
    expect(one.warm).toBe(true);
  });
});

describe('detections through HTTP (demo model)', () => {
  const CASES: [number, number, 'png' | 'jpeg', DrawnShape[]][] = [
    [640, 480, 'png', [{ kind: 'rect', label: 'red', box: [60, 50, 260, 200] }, { kind: 'circle', label: 'blue', box: [380, 220, 560, 400] }]],
    [300, 800, 'jpeg', [{ kind: 'rect', label: 'red', box: [20, 40, 140, 300] }, { kind: 'circle', label: 'blue', box: [150, 500, 290, 640] }]],
    [1280, 720, 'jpeg', [{ kind: 'rect', label: 'red', box: [700, 100, 1200, 400] }, { kind: 'circle', label: 'blue', box: [100, 300, 500, 700] }]],
    [1000, 1000, 'png', [{ kind: 'circle', label: 'blue', box: [100, 100, 400, 400] }, { kind: 'rect', label: 'red', box: [500, 600, 900, 950] }]],
  ];

  it.each(CASES)('finds the shapes of a %ix%i %s where they were drawn (raw body)', async (w, h, format, shapes) => {
    const res = await detect(a, demo, { body: await shapeImage(w, h, shapes, format), headers: { 'Content-Type': `image/${format}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Server-Timing')).toMatch(/^decode;dur=[\d.]+, preprocess;dur=[\d.]+, queue;dur=[\d.]+, infer;dur=[\d.]+, postprocess;dur=[\d.]+, total;dur=[\d.]+$/);
    const body = (await res.json()) as Single;
    expect(body.image).toEqual({ width: w, height: h });
    expect(Object.keys(body.timings).sort()).toEqual(['decode', 'infer', 'postprocess', 'preprocess', 'queue', 'total']);
    // The demo model is exact to its input pixel; one input pixel is 1/scale source pixels.
    const tol = Math.max(2, 1 / Math.min(320 / w, 320 / h));
    expect(body.detections.map((d) => d.label).sort()).toEqual(shapes.map((s) => s.label).sort());
    for (const s of shapes) expectBoxNear(body.detections.find((d) => d.label === s.label)!.box, s.box, tol);
  });

  it('keeps multipart order and accepts base64 JSON and data: URLs', async () => {
    const imgs = await Promise.all(CASES.map(([w, h, f, s]) => shapeImage(w, h, s, f)));
    const form = new FormData();
    imgs.forEach((img, i) => form.append('image', new Blob([img]), `${i}`));
    const multi = (await (await detect(a, demo, { body: form })).json()) as { results: Single[] };
    expect(multi.results.map((r) => r.image.width)).toEqual(CASES.map((c) => c[0]));
    const json = { images: [Buffer.from(imgs[1]!).toString('base64'), `data:image/png;base64,${Buffer.from(imgs[0]!).toString('base64')}`] };
    const res = await detect(a, demo, { body: JSON.stringify(json), headers: { 'Content-Type': 'application/json' } });
    expect(((await res.json()) as { results: Single[] }).results.map((r) => r.image.width)).toEqual([300, 640]);
    const one = await detect(a, demo, { body: JSON.stringify({ image: Buffer.from(imgs[2]!).toString('base64'), classes: [2] }), headers: { 'Content-Type': 'application/json' } });
    expect(((await one.json()) as Single).detections.map((d) => d.label)).toEqual(['blue']);
  });

  it('answers format=padded with EfficientNMS-style tensors, one row per image', async () => {
    const form = new FormData();
    for (const [w, h, f, sh] of CASES.slice(0, 2)) form.append('image', new Blob([await shapeImage(w, h, sh, f)]), 'x');
    const res = await detect(a, demo, { query: '?format=padded&max_det=5', body: form });
    type T = { shape: number[]; dtype: string; data: number[] };
    const { outputs } = (await res.json()) as { outputs: Record<'num_dets' | 'boxes' | 'scores' | 'classes', T> };
    expect(outputs.num_dets).toEqual({ shape: [2], dtype: 'int32', data: [2, 2] });
    expect(outputs.boxes.shape).toEqual([2, 5, 4]);
    expect(outputs.scores.shape).toEqual([2, 5]);
    expect(outputs.classes.data.slice(2, 5)).toEqual([-1, -1, -1]);
    expect(outputs.classes.data.slice(0, 2).sort()).toEqual([0, 2]);
  });

  it('renders a JPEG of the source size with render=true', async () => {
    const [w, h, f, s] = CASES[1]!;
    const res = await detect(a, demo, { query: '?render=true', body: await shapeImage(w, h, s, f), headers: { 'Content-Type': 'image/jpeg' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', w, h]);
  });
});

describe('yolov8n through HTTP', () => {
  it('matches the reference detections on bus.jpg (same classes, boxes within 4 px, scores within 0.03)', async () => {
    const ref = referenceFor('bus.jpg');
    const res = await detect(a, yolo, { body: readFileSync(IMAGES.bus()), headers: { 'Content-Type': 'image/jpeg' } });
    const got = ((await res.json()) as Single).detections;
    expect(got.length).toBeGreaterThan(0);
    expect(compareDetections(got, ref.detections)).toEqual([]);
  });
});

describe('errors: status, code, request id in header and in the server log', () => {
  const png = () => shapeImage(64, 64, [], 'png');
  const cases: [string, 'a' | 'b', () => Promise<Response>, number, string][] = [
    ['empty body', 'a', async () => detect(a, demo, { body: new Uint8Array(0), headers: { 'Content-Type': 'image/png' } }), 400, 'EMPTY_BODY'],
    ['bad conf', 'a', async () => detect(a, demo, { query: '?conf=7', body: await png(), headers: { 'Content-Type': 'image/png' } }), 400, 'INVALID_ARGUMENT'],
    ['unknown model', 'a', async () => detect(a, 'nope', { body: await png(), headers: { 'Content-Type': 'image/png' } }), 404, 'MODEL_NOT_FOUND'],
    ['unknown route', 'a', async () => fetch(`${a.url}/v9/x`), 404, 'NOT_FOUND'],
    ['text body', 'a', async () => detect(a, demo, { body: 'hi', headers: { 'Content-Type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['not an image', 'a', async () => detect(a, demo, { body: new Uint8Array(100).fill(9), headers: { 'Content-Type': 'image/jpeg' } }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['truncated JPEG', 'a', async () => detect(a, demo, { body: readFileSync(IMAGES.bus()).subarray(0, 4000), headers: { 'Content-Type': 'image/jpeg' } }), 415, 'UNDECODABLE_IMAGE'],
    ['no token', 'b', async () => detect(b, demo, { body: await png(), headers: { 'Content-Type': 'image/png' } }), 401, 'UNAUTHORIZED'],
    ['too large', 'b', async () => detect(b, demo, { body: new Uint8Array(70_000), headers: { 'Content-Type': 'image/png', Authorization: 'Bearer k-two' } }), 413, 'PAYLOAD_TOO_LARGE'],
    ['deadline', 'b', async () => detect(b, demo, { body: await shapeImage(1280, 720, [], 'jpeg'), headers: { 'Content-Type': 'image/jpeg', Authorization: 'Bearer k-one' } }), 504, 'DEADLINE_EXCEEDED'],
  ];

  it.each(cases)('%s', async (_name, server, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    const reqId = res.headers.get('X-Request-Id');
    expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
    const lines = (server === 'b' ? logB : logA).lines;
    const line = lines.find((l) => l.reqId === reqId && l.code === code);
    expect(line, `log line for ${reqId}`).toMatchObject({ status, level: status >= 500 ? 50 : 40 });
    if (code === 'UNAUTHORIZED') expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
  });

  it('keeps health open with auth on, and serves with a right token', async () => {
    expect((await fetch(`${b.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${b.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${b.url}/v1/models`, { headers: { Authorization: 'Bearer k-one' } })).status).toBe(200);
  });

  it('echoes a caller request id', async () => {
    const res = await fetch(`${a.url}/v1/models/nope`, { headers: { 'X-Request-Id': 'caller-42' } });
    expect(res.headers.get('X-Request-Id')).toBe('caller-42');
    expect(logA.lines.some((l) => l.reqId === 'caller-42' && l.code === 'MODEL_NOT_FOUND')).toBe(true);
  });
});
