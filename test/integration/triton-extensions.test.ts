/**
 * The Triton extensions and protocol details on /v2, end to end: the real server (startServer)
 * on 127.0.0.1:0, the real demo model and the real yolov8n in real engine workers, real sockets.
 * Statistics are checked as exact counts after a known sequence of requests, including the
 * failures (503 QUEUE_FULL, 504, 400); /metrics is checked with Debian's real `promtool`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { type CapturedLog, capturingLogger } from '../helpers/capture-logger.js';
import { MODELS, repoRoot } from '../helpers/shared-data.js';
import { shapeImage } from '../helpers/shape-images.js';

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
const DEMO = path.join(repoRoot, 'models/demo.json');
const MIB = 1024 ** 2;
let demo: RunningServer, yolo: RunningServer, demoLog: CapturedLog, dir: string, png: Uint8Array;

beforeAll(async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  dir = mkdtempSync(path.join(tmpdir(), 'detectfn-triton-'));
  // A model whose file is missing: it shows in the repository index as UNAVAILABLE, with why.
  const missing = path.join(dir, 'missing.json');
  writeFileSync(missing, JSON.stringify({ name: 'missing', version: '7', source: { uri: path.join(dir, 'nope.onnx') } }));
  // yolov8n, one image per batch, one batch at a time, 6 queue slots: easy to overload.
  const slow = path.join(dir, 'slow.json');
  writeFileSync(slow, JSON.stringify({
    name: 'slow', version: '3', source: { uri: MODELS.yolov8n() },
    engine: { providers: ['cpu'], workers: 1 },
    batching: { batchSizes: [1], maxQueue: 6, maxInFlight: 1, maxQueueDelayUs: 500 },
  }));
  demoLog = capturingLogger('debug');
  demo = await startServer({ env: {}, logger: demoLog.logger, config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [DEMO, missing] } });
  await demo.ready.catch(() => undefined); // 'missing' fails; demo serves regardless
  yolo = await startServer({ env: {}, logger: capturingLogger('info').logger, config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [slow] } });
  await yolo.ready;
  png = await shapeImage(64, 64, [], 'png');
});
afterAll(async () => {
  await Promise.all([demo?.close(), yolo?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON, checked field by field
type Json = any;
const getJson = async (srv: RunningServer, p: string): Promise<Json> => (await fetch(`${srv.url}${p}`)).json();
const infer = (srv: RunningServer, model: string, body: RequestInit['body'], headers: Record<string, string> = {}) =>
  fetch(`${srv.url}/v2/models/${model}/infer`, { method: 'POST', body, headers });
const imagesRequest = (n: number, extra: object = {}) =>
  JSON.stringify({ inputs: [{ name: 'image', shape: [n], datatype: 'BYTES', data: Array.from({ length: n }, () => Buffer.from(png).toString('base64')) }], ...extra });

/** KServe binary request: FP32 [n,3,640,640] of mid-grey. */
function tensorRequest(n: number, parameters: Record<string, unknown> = {}) {
  const data = new Float32Array(n * 3 * 640 * 640).fill(0.5);
  const header = Buffer.from(JSON.stringify({ parameters, inputs: [{ name: 'images', shape: [n, 3, 640, 640], datatype: 'FP32', parameters: { binary_data_size: data.byteLength } }] }));
  return infer(yolo, 'slow', Buffer.concat([header, Buffer.from(data.buffer)]), { 'Inference-Header-Content-Length': String(header.byteLength) });
}

/** A raw response (node:http does not inflate, unlike fetch). */
function rawPost(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(body.byteLength) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('model configuration (GET /v2/models/{m}[/versions/{v}]/config)', () => {
  it('answers the demo manifest in Triton model_config JSON', async () => {
    const config = await getJson(demo, '/v2/models/demo/versions/1/config');
    expect(config).toMatchObject({
      name: 'demo', platform: 'onnxruntime_onnx', backend: 'onnxruntime', max_batch_size: 8,
      input: [
        { name: 'image', data_type: 'TYPE_STRING', dims: [1], reshape: { shape: [] } },
        { name: 'images', data_type: 'TYPE_FP32', format: 'FORMAT_NCHW', dims: [3, 320, 320] },
      ],
      dynamic_batching: { preferred_batch_size: [1, 2, 4, 8], max_queue_delay_microseconds: 2000, default_queue_policy: { max_queue_size: 64 } },
      instance_group: [{ kind: 'KIND_CPU', count: 1 }],
    });
    expect(config.output.map((o: Json) => [o.name, o.data_type, o.dims])).toEqual([
      ['num_dets', 'TYPE_INT32', []], ['det_boxes', 'TYPE_FP32', [300, 4]], ['det_scores', 'TYPE_FP32', [300]], ['det_classes', 'TYPE_INT32', [300]],
    ]);
    expect(await getJson(demo, '/v2/models/demo/config')).toEqual(config);
  });

  it('answers the yolov8n manifest with its own batching and instances', async () => {
    const config = await getJson(yolo, '/v2/models/slow/config');
    expect(config).toMatchObject({
      name: 'slow', max_batch_size: 1, version_policy: { specific: { versions: ['3'] } },
      input: [{ name: 'image' }, { name: 'images', data_type: 'TYPE_FP32', dims: [3, 640, 640] }],
      dynamic_batching: { preferred_batch_size: [1], max_queue_delay_microseconds: 500, default_queue_policy: { max_queue_size: 6 } },
      instance_group: [{ kind: 'KIND_CPU', count: 1 }],
    });
    expect(config.parameters.labels.string_value.split(',')[0]).toBe('person');
  });

  it('a version the model does not have is 404 in the protocol error shape', async () => {
    const res = await fetch(`${demo.url}/v2/models/demo/versions/9/config`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Json).error).toMatch(/no version '9'/);
  });
});

describe('repository index (POST /v2/repository/index)', () => {
  it('lists every configured model with its state and reason; ready: true lists the ready ones', async () => {
    const index = await (await fetch(`${demo.url}/v2/repository/index`, { method: 'POST' })).json();
    expect(index).toEqual([
      { name: 'demo', version: '1', state: 'READY', reason: '' },
      { name: 'missing', version: '7', state: 'UNAVAILABLE', reason: expect.stringMatching(/nope\.onnx/) },
    ]);
    const ready = await (await fetch(`${demo.url}/v2/repository/index`, { method: 'POST', body: '{"ready":true}' })).json();
    expect(ready).toEqual([{ name: 'demo', version: '1', state: 'READY', reason: '' }]);
    const bad = await fetch(`${demo.url}/v2/repository/index`, { method: 'POST', body: '{"ready":"yes"}' });
    expect(bad.status).toBe(400);
  });
});

describe('statistics (GET /v2/models[/{m}]/stats) after a known sequence', () => {
  it('counts successes, failures (400, 503 QUEUE_FULL, 504), items, executions and batch sizes exactly', async () => {
    // 1) Six tensor items, one per batch: 200. 2) While any of them still waits, six images
    // (a small body, admitted at once) do not fit in the 6 slots: 503 before any is decoded.
    const first = tensorRequest(6);
    await vi.waitFor(() => expect(yolo.registry.get('slow').stats().pending).toBe(1), { timeout: 30_000, interval: 5 });
    const full = await infer(yolo, 'slow', imagesRequest(6));
    expect(full.status).toBe(503);
    expect((await first).status).toBe(200);
    // 3) A deadline of 1 µs: 504, never run. 4) More items than the queue holds: 400.
    expect((await tensorRequest(1, { timeout: 1 })).status).toBe(504);
    expect((await tensorRequest(7)).status).toBe(400);
    // The pipeline records a failure when its promise settles, which may follow the 504 answer.
    await vi.waitFor(() => expect(yolo.registry.get('slow').stats().fail.count).toBe(3), { timeout: 30_000 });

    const { model_stats: [s] } = await getJson(yolo, '/v2/models/slow/versions/3/stats');
    expect(s).toMatchObject({ name: 'slow', version: '3', inference_count: 6, execution_count: 6 });
    const st = s.inference_stats;
    expect([st.success.count, st.fail.count, st.queue.count, st.compute_input.count, st.compute_infer.count, st.compute_output.count]).toEqual([1, 3, 1, 1, 1, 1]);
    expect(st.fail.ns).toBeGreaterThan(0);
    expect(st.compute_infer.ns).toBeGreaterThan(0);
    expect(st.success.ns).toBeGreaterThanOrEqual(st.compute_infer.ns);
    expect(s.batch_stats.map((b: Json) => [b.batch_size, b.compute_input.count, b.compute_infer.count, b.compute_output.count])).toEqual([[1, 6, 6, 6]]);
    expect(s.last_inference).toBeGreaterThan(Date.now() - 600_000);
    expect(await getJson(yolo, '/v2/models/stats')).toEqual({ model_stats: [s] });

    // The Prometheus counters read the same recorder: they agree with the JSON.
    const text = await (await fetch(`${yolo.url}/metrics`)).text();
    const series = (name: string) => Number(new RegExp(`^${name}\\{model="slow",version="3"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(series('detectfn_inference_request_success_total')).toBe(1);
    expect(series('detectfn_inference_request_failure_total')).toBe(3);
    expect(series('detectfn_inference_count_total')).toBe(6);
    expect(series('detectfn_inference_exec_count_total')).toBe(6);
    expect(series('detectfn_inference_pending_requests')).toBe(0);
    expect(series('detectfn_inference_compute_infer_duration_seconds_total')).toBeCloseTo(st.compute_infer.ns / 1e9, 6);
  });

  it('accepts an FP32 [1,3,640,640] tensor as JSON (over 20 MiB) under the 64 MiB /v2 cap', async () => {
    const data = Array.from({ length: 3 * 640 * 640 }, (_, i) => (i % 251) / 251);
    const body = JSON.stringify({ inputs: [{ name: 'images', shape: [1, 3, 640, 640], datatype: 'FP32', data }] });
    expect(body.length).toBeGreaterThan(20 * MIB);
    const res = await infer(yolo, 'slow', body, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).outputs.map((o: Json) => o.name)).toEqual(['num_dets', 'det_boxes', 'det_scores', 'det_classes']);
  });
});

describe('protocol details', () => {
  const ok = async (res: Response) => {
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as Json).outputs.find((o: Json) => o.name === 'num_dets').data;
  };

  it('takes gzip and deflate (zlib and raw) request bodies', async () => {
    const plain = Buffer.from(imagesRequest(2));
    expect(await ok(await infer(demo, 'demo', zlib.gzipSync(plain), { 'Content-Encoding': 'gzip' }))).toEqual([0, 0]);
    expect(await ok(await infer(demo, 'demo', zlib.deflateSync(plain), { 'Content-Encoding': 'deflate' }))).toEqual([0, 0]);
    expect(await ok(await infer(demo, 'demo', zlib.deflateRawSync(plain), { 'Content-Encoding': 'deflate' }))).toEqual([0, 0]);
  });

  it('answers a corrupt gzip body 400 and an unknown encoding 415, naming the problem', async () => {
    const gz = zlib.gzipSync(Buffer.from(imagesRequest(1)));
    gz[gz.length - 12] ^= 0xff; // inside the deflate data
    const corrupt = await infer(demo, 'demo', gz, { 'Content-Encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    expect(((await corrupt.json()) as Json).error).toMatch(/not valid gzip data/);
    const br = await infer(demo, 'demo', Buffer.from(imagesRequest(1)), { 'Content-Encoding': 'br' });
    expect(br.status).toBe(415);
    expect(((await br.json()) as Json).error).toMatch(/Content-Encoding 'br' is not supported; send gzip, deflate, identity/);
  });

  it('stops inflating a gzip bomb at the cap: 413, and the server serves on', async () => {
    // 8192 gzip members of 1 MiB of zeros: 8 GiB inflated, more than a Buffer may hold, so only
    // an inflate that stops at the cap can answer at all.
    const member = zlib.gzipSync(Buffer.alloc(MIB));
    const bomb = Buffer.concat(Array.from({ length: 8192 }, () => member));
    expect(bomb.byteLength).toBeLessThan(64 * MIB);
    const res = await infer(demo, 'demo', bomb, { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as Json).error).toMatch(/inflates \(Content-Encoding: gzip\) past 67108864 bytes/);
    expect(await ok(await infer(demo, 'demo', imagesRequest(1)))).toEqual([0]);
  });

  it('answers gzip when the client accepts it (the bytes on the wire really are gzip)', async () => {
    const res = await rawPost(`${demo.url}/v2/models/demo/infer`, Buffer.from(imagesRequest(1)), { 'Accept-Encoding': 'gzip', 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect([...res.body.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(JSON.parse(zlib.gunzipSync(res.body).toString('utf8')).model_name).toBe('demo');
    const plain = await rawPost(`${demo.url}/v2/models/demo/infer`, Buffer.from(imagesRequest(1)), { 'Content-Type': 'application/json' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.body.toString('utf8')).model_name).toBe('demo');
  });

  it('ignores unknown request parameters (KServe codecs\' content_type) and logs them at debug', async () => {
    const res = await infer(demo, 'demo', imagesRequest(1, { parameters: { content_type: 'np', conf: 0.5 } }), { 'X-Request-Id': 'triton-ignored-1' });
    expect(await ok(res)).toEqual([0]);
    const line = demoLog.lines.find((l) => l.reqId === 'triton-ignored-1' && l.msg === 'kserve: unknown request parameters ignored');
    expect(line).toMatchObject({ level: 20, ignored: ['content_type'], model: 'demo' });
  });
});

describe('Prometheus exposition', () => {
  // Never skipped: promtool is software, and the test command installs it (scripts/install-system-deps.sh).
  it('passes `promtool check metrics` on the live /metrics text', async () => {
    expect(spawnSync('promtool', ['--version']).status, 'promtool is missing: run scripts/install-system-deps.sh (Debian prometheus)').toBe(0);
    await ok200(infer(demo, 'demo', imagesRequest(1)));
    const text = await (await fetch(`${demo.url}/metrics`)).text();
    expect(text).toMatch(/^detectfn_inference_request_success_total\{model="demo",version="1"\} \d+$/m);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });
});

async function ok200(res: Promise<Response>): Promise<void> {
  expect((await res).status).toBe(200);
}
