/**
 * The KServe v2 gRPC listener end to end: the real server (startServer on 127.0.0.1, HTTP on a
 * free port and gRPC on another), real yolov8n in real engine workers, and a real @grpc/grpc-js
 * client built from the same .proto (test/helpers/grpc-client.ts) over loopback. Engine work is
 * counted from /metrics (`detectfn_batch_size_sum`), as test/integration/admission.test.ts does,
 * so "never ran" is measured, not assumed. Two models share one server: `slow` (queue 16, one
 * batch of at most 4 at a time: easy to overload) and `burst` (queue 64, batches up to 8: for the
 * concurrent burst that must share micro-batches with HTTP traffic). Auth is on (key `k1`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import { type CapturedLog, capturingLogger } from '../helpers/capture-logger.js';
import { engineImages, waitForQueueDepth as waitForQueueDepthOf } from '../helpers/engine-images.js';
import { bytesInferRequest, grpcClients, type GrpcClients, grpcError, rawOutputs, startUnary, unary } from '../helpers/grpc-client.js';
import { rectanglesImage, RGB } from '../helpers/images.js';
import { IMAGES, MODELS, repoRoot } from '../helpers/shared-data.js';
import { HEALTH_PROTO, INFERENCE_PROTO, PROTO_DIR } from '../../handlers/grpc/server.js';

const KEY = 'k1';
const auth = { key: KEY };
const MIB = 1024 ** 2;
const MAX_BODY = 6 * MIB; // the image routes' cap, set low: gRPC must follow the /v2 cap instead
let srv: RunningServer, log: CapturedLog, dir: string, c: GrpcClients, small: Uint8Array, bus: Uint8Array;

function manifest(name: string, batching: Record<string, unknown>): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, source: { uri: MODELS.yolov8n() }, engine: { providers: ['cpu'], workers: 1 }, batching }));
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'detectfn-grpc-'));
  const models = [
    manifest('slow', { batchSizes: [1, 4], maxQueue: 16, maxInFlight: 1, maxQueueDelayUs: 2000 }),
    manifest('burst', { batchSizes: [1, 2, 4, 8], maxQueue: 64, maxInFlight: 1, maxQueueDelayUs: 20_000 }),
  ];
  log = capturingLogger();
  srv = await startServer({ env: {}, logger: log.logger, config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: models, DETECTFN_API_KEYS: [KEY], DETECTFN_MAX_BODY_BYTES: MAX_BODY } });
  await srv.ready;
  c = grpcClients(srv.grpcPort!);
  small = await rectanglesImage(64, 48, [{ x1: 8, y1: 8, x2: 40, y2: 30, color: RGB.red }]);
  bus = new Uint8Array(readFileSync(IMAGES.bus()));
});

afterAll(async () => {
  c?.close();
  await srv?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const httpHeaders = { authorization: `Bearer ${KEY}` };
const metrics = async () => (await fetch(`${srv.url}/metrics`, { headers: httpHeaders })).text();

const waitForQueueDepth = (model: string, n: number) => waitForQueueDepthOf(srv.url, model, n, httpHeaders);

/** HTTP detect of `n` small images on `model`; resolves with the images delivered (0 unless 200). */
const httpBacklog = (model: string, n: number) =>
  fetch(`${srv.url}/v1/models/${model}/detect`, {
    method: 'POST',
    headers: { ...httpHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ images: Array.from({ length: n }, () => Buffer.from(small).toString('base64')) }),
  }).then(async (r) => (r.status === 200 ? ((await r.json()) as { results: unknown[] }).results.length : 0));

type InferRes = Parameters<typeof rawOutputs>[0] & { model_name: string; id: string };
interface RestInfer { outputs: { name: string; shape: number[]; data: number[] }[] }
interface RestMeta { name: string; versions: string[]; platform: string; inputs: unknown[]; outputs: unknown[] }
const restInfer = (model: string, image: Uint8Array): Promise<RestInfer> =>
  fetch(`${srv.url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { ...httpHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [Buffer.from(image).toString('base64')] }] }),
  }).then((r) => r.json() as Promise<RestInfer>);

describe('gRPC: every method', () => {
  it('ServerLive, ServerReady, ModelReady, ServerMetadata, ModelMetadata answer as the REST routes do', async () => {
    expect((await unary(c.inference, 'ServerLive', {})).res).toEqual({ live: true });
    expect((await unary(c.inference, 'ServerReady', {})).res).toEqual({ ready: true });
    expect((await unary(c.inference, 'ModelReady', { name: 'slow' }, auth)).res).toEqual({ ready: true });
    const server = (await unary(c.inference, 'ServerMetadata', {}, auth)).res;
    const restServer = await (await fetch(`${srv.url}/v2`, { headers: httpHeaders })).json();
    expect(server).toEqual(restServer);
    const meta = (await unary<RestMeta>(c.inference, 'ModelMetadata', { name: 'slow', version: '1' }, auth)).res;
    const rest = (await (await fetch(`${srv.url}/v2/models/slow`, { headers: httpHeaders })).json()) as RestMeta;
    expect(meta).toEqual({ name: rest.name, versions: rest.versions, platform: rest.platform, inputs: rest.inputs, outputs: rest.outputs });
    expect(meta.inputs).toEqual([
      { name: 'image', datatype: 'BYTES', shape: [-1] },
      { name: 'images', datatype: 'FP32', shape: [-1, 3, 640, 640] },
    ]);
  });

  it('ModelInfer with BYTES images (raw_input_contents and typed bytes_contents) gives the REST answer', async () => {
    const raw = (await unary<InferRes>(c.inference, 'ModelInfer', { ...bytesInferRequest('slow', [bus]), id: 'q1' }, auth)).res;
    expect(raw.model_name).toBe('slow');
    expect(raw.id).toBe('q1');
    const out = rawOutputs(raw);
    expect([...out.keys()]).toEqual(['num_dets', 'det_boxes', 'det_scores', 'det_classes']);
    expect(out.get('det_boxes')!.shape).toEqual([1, 300, 4]);
    const typed = rawOutputs((await unary<InferRes>(c.inference, 'ModelInfer', {
      model_name: 'slow',
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from(bus)] } }],
      outputs: [{ name: 'num_dets' }, { name: 'det_classes' }],
    }, auth)).res);
    expect([...typed.keys()]).toEqual(['num_dets', 'det_classes']);
    const rest = await restInfer('slow', bus);
    const n = rest.outputs[0]!.data[0]!;
    expect(n).toBeGreaterThan(3); // bus.jpg: people and a bus
    expect(out.get('num_dets')!.values[0]).toBe(n);
    expect(typed.get('num_dets')!.values[0]).toBe(n);
    expect([...typed.get('det_classes')!.values.slice(0, n)]).toEqual(rest.outputs[3]!.data.slice(0, n));
    const restBoxes = rest.outputs[1]!.data.slice(0, n * 4);
    [...out.get('det_boxes')!.values.slice(0, n * 4)].forEach((v, i) => expect(v).toBeCloseTo(restBoxes[i]!, 3));
  });

  it('ModelInfer with a preprocessed FP32 tensor (raw and typed fp32_contents) and detection parameters', async () => {
    const grey = new Float32Array(3 * 640 * 640).fill(0.5);
    const params = { conf: { double_param: 0.01 }, iou: { string_param: '0.6' }, max_det: { int64_param: 5 } };
    const raw = rawOutputs((await unary<InferRes>(c.inference, 'ModelInfer', {
      model_name: 'slow',
      parameters: params,
      inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 640, 640] }],
      raw_input_contents: [Buffer.from(grey.buffer)],
    }, auth)).res);
    expect(raw.get('det_scores')!.shape).toEqual([1, 5]);
    const typed = rawOutputs((await unary<InferRes>(c.inference, 'ModelInfer', {
      model_name: 'slow',
      parameters: params,
      inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 640, 640], contents: { fp32_contents: Array.from(grey) } }],
    }, auth)).res);
    expect([...typed.get('det_scores')!.values]).toEqual([...raw.get('det_scores')!.values]);
  });

  it('a Python grpcio client generated by protoc from the same .proto gets the same answers', async () => {
    // Debian's python3-grpcio and python3-grpc-tools (scripts/install-system-deps.sh): a second,
    // independent protobuf implementation, so a wrong field number cannot hide in both sides.
    const stubs = path.join(dir, 'py');
    mkdirSync(stubs, { recursive: true });
    // Asynchronously: the server runs in this process and must keep answering.
    const run = promisify(execFile);
    await run('/usr/bin/python3', ['-m', 'grpc_tools.protoc', `-I${PROTO_DIR}`, `--python_out=${stubs}`, `--grpc_python_out=${stubs}`, INFERENCE_PROTO, HEALTH_PROTO]);
    const py = JSON.parse((await run('/usr/bin/python3', [path.join(repoRoot, 'test/helpers/grpc_client.py'), stubs, String(srv.grpcPort), KEY, 'slow', IMAGES.bus()])).stdout);
    const js = rawOutputs((await unary<InferRes>(c.inference, 'ModelInfer', bytesInferRequest('slow', [bus]), auth)).res);
    const n = js.get('num_dets')!.values[0]!;
    expect(n).toBeGreaterThan(3);
    expect(py).toMatchObject({ live: true, num_dets: n, unknown_model: 'NOT_FOUND', health: 'SERVING' });
    expect(py.inputs).toEqual([['image', 'BYTES', [-1]], ['images', 'FP32', [-1, 3, 640, 640]]]);
    expect(py.outputs).toEqual([['num_dets', 'INT32', [1]], ['det_boxes', 'FP32', [1, 300, 4]], ['det_scores', 'FP32', [1, 300]], ['det_classes', 'INT32', [1, 300]]]);
    expect(py.classes).toEqual([...js.get('det_classes')!.values.slice(0, n)]);
    expect(py.boxes).toEqual([...js.get('det_boxes')!.values.slice(0, n * 4)]);
  });

  it('the Triton extension RPCs answer what the REST routes answer (ModelConfig, ModelStatistics, RepositoryIndex)', async () => {
    const rest = async (p: string, init: RequestInit = {}) => (await fetch(`${srv.url}${p}`, { ...init, headers: httpHeaders })).json();
    const { version_policy: _v, ...config } = (await rest('/v2/models/slow/config')) as Record<string, unknown>;
    const viaGrpc = (await unary<{ config: Record<string, unknown> }>(c.inference, 'ModelConfig', { name: 'slow' }, auth)).res.config;
    expect(viaGrpc).toMatchObject(config);
    expect(viaGrpc).toMatchObject({ max_batch_size: 4, instance_group: [{ kind: 'KIND_CPU', count: 1 }], dynamic_batching: { preferred_batch_size: [1, 4] } });

    const stats = (await rest('/v2/models/slow/stats')) as { model_stats: Record<string, unknown>[] };
    const statsViaGrpc = (await unary<{ model_stats: Record<string, unknown>[] }>(c.inference, 'ModelStatistics', { name: 'slow' }, auth)).res;
    expect(stats.model_stats[0]!.inference_count).toBeGreaterThan(0); // the tests above ran inferences
    expect(statsViaGrpc.model_stats).toMatchObject(stats.model_stats);
    const all = (await unary<{ model_stats: { name: string }[] }>(c.inference, 'ModelStatistics', {}, auth)).res.model_stats.map((m) => m.name);
    expect(all).toEqual(srv.registry.list().map((m) => m.describe().name));

    const index = (await rest('/v2/repository/index', { method: 'POST', body: '{}' })) as Record<string, unknown>[];
    const indexViaGrpc = (await unary<{ models: Record<string, unknown>[] }>(c.inference, 'RepositoryIndex', {}, auth)).res.models;
    expect(index.length).toBeGreaterThan(0);
    expect(indexViaGrpc).toMatchObject(index);

    const unknown = await grpcError(unary(c.inference, 'ModelConfig', { name: 'nope' }, auth));
    expect(unknown.code).toBe(grpc.status.NOT_FOUND);
    const noKey = await grpcError(unary(c.inference, 'ModelStatistics', { name: 'slow' }, {}));
    expect(noKey.code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe('gRPC: error statuses', () => {
  it('unknown model NOT_FOUND, bad tensor INVALID_ARGUMENT, logged with the request id it echoes', async () => {
    const unknown = await grpcError(unary(c.inference, 'ModelInfer', bytesInferRequest('nope', [small]), auth));
    expect(unknown.code).toBe(grpc.status.NOT_FOUND);
    expect(unknown.details).toBe('unknown model "nope"; served models: slow, burst');
    const bad = await grpcError(unary(c.inference, 'ModelInfer', {
      model_name: 'slow',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 10, 10] }],
      raw_input_contents: [Buffer.alloc(1200)],
    }, { ...auth, requestId: 'grpc-bad-tensor' }));
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.details).toBe("input 'images': expected BYTES images or FP32 [N,3,640,640], got FP32 [1,3,10,10]");
    expect(bad.metadata.get('x-request-id')).toEqual(['grpc-bad-tensor']);
    expect(log.lines.find((l) => l.reqId === 'grpc-bad-tensor')).toMatchObject({ level: 40, code: 'INVALID_ARGUMENT', grpcStatus: 3, method: 'ModelInfer' });
    const short = await grpcError(unary(c.inference, 'ModelInfer', {
      model_name: 'slow',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 640, 640] }],
      raw_input_contents: [Buffer.alloc(16)],
    }, auth));
    expect(short.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(short.details).toMatch(/needs 4915200 bytes/);
    const typedInput = { name: 'image', datatype: 'BYTES', shape: [2], contents: { bytes_contents: [Buffer.from(small)] } };
    const miscounted = await grpcError(unary(c.inference, 'ModelInfer', { model_name: 'slow', inputs: [typedInput] }, auth));
    expect(miscounted.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(miscounted.details).toBe("input 'image': shape [2] needs 2 elements but bytes_contents has 1");
    const both = await grpcError(unary(c.inference, 'ModelInfer', { model_name: 'slow', inputs: [typedInput], raw_input_contents: [Buffer.alloc(8)] }, auth));
    expect(both.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(both.details).toBe("input 'image' has contents although raw_input_contents is used; send one or the other");
    const badConf = await grpcError(unary(c.inference, 'ModelInfer', bytesInferRequest('slow', [small], { conf: { double_param: 2 } }), auth));
    expect(badConf.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(badConf.details).toMatch(/conf but received 2 of type number/);
    const classify = await grpcError(unary(c.inference, 'ModelInfer', bytesInferRequest('slow', [small], { class_count: { int64_param: 3 } }), auth));
    expect(classify.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(classify.details).toMatch(/^parameters\.class_count: Triton's classification extension is not supported/);
    const junk = await grpcError(unary(c.inference, 'ModelInfer', bytesInferRequest('slow', [new Uint8Array([1, 2, 3])]), auth));
    expect(junk.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('missing or bad key UNAUTHENTICATED; liveness and readiness stay open', async () => {
    const none = await grpcError(unary(c.inference, 'ModelMetadata', { name: 'slow' }));
    expect(none.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(none.details).toMatch(/missing bearer token/);
    const bad = await grpcError(unary(c.inference, 'ModelInfer', bytesInferRequest('slow', [small]), { key: 'k2' }));
    expect(bad.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(bad.details).toBe('invalid bearer token');
    expect((await unary(c.inference, 'ServerLive', {})).res).toEqual({ live: true });
    expect((await unary(c.health, 'Check', { service: '' })).res).toEqual({ status: 'SERVING' });
  });

  it('the message cap is /v2\'s (DETECTFN_V2_MAX_BODY_BYTES, 64 MiB): a 24.6 MB FP32 batch runs, a message past 64 MiB is RESOURCE_EXHAUSTED', async () => {
    const batch = new Float32Array(5 * 3 * 640 * 640).fill(0.5);
    expect(batch.byteLength).toBeGreaterThan(20 * MIB); // past the image routes' default cap, far past this server's
    const ok = rawOutputs((await unary<InferRes>(c.inference, 'ModelInfer', {
      model_name: 'burst',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [5, 3, 640, 640] }],
      raw_input_contents: [Buffer.from(batch.buffer)],
    }, auth)).res);
    expect(ok.get('num_dets')!.shape).toEqual([5]);
    const before = await engineImages(srv.url, 'slow', httpHeaders);
    const err = await grpcError(unary(c.inference, 'ModelInfer', bytesInferRequest('slow', [new Uint8Array(64 * MIB)]), auth));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await engineImages(srv.url, 'slow', httpHeaders)).toBe(before);
  });

  it('queue full: requests are admitted whole or refused UNAVAILABLE; no image of a refused request runs', async () => {
    const before = await engineImages(srv.url, 'slow', httpHeaders);
    const outcomes = await Promise.all(Array.from({ length: 12 }, () =>
      unary<InferRes>(c.inference, 'ModelInfer', bytesInferRequest('slow', Array(8).fill(small)), auth).then(
        (r) => ({ delivered: rawOutputs(r.res).get('num_dets')!.shape[0]!, err: undefined }),
        (err: grpc.ServiceError) => ({ delivered: 0, err }),
      ),
    ));
    const refused = outcomes.filter((o) => o.err);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThan(outcomes.length);
    for (const r of refused) {
      expect(r.err!.code).toBe(grpc.status.UNAVAILABLE);
      expect(r.err!.details).toMatch(/queue is full/);
      // gRPC's own retry hint (gRFC A6), in milliseconds: the batcher's retry after 1 s.
      expect(r.err!.metadata.get('grpc-retry-pushback-ms')).toEqual(['1000']);
    }
    const delivered = outcomes.reduce((n, o) => n + o.delivered, 0);
    expect(delivered).toBe((outcomes.length - refused.length) * 8);
    expect((await engineImages(srv.url, 'slow', httpHeaders)) - before).toBe(delivered);
  });
});

describe('gRPC: deadlines and cancellation', () => {
  it('grpc-timeout: a call whose deadline passes while queued answers DEADLINE_EXCEEDED and never runs', async () => {
    const before = await engineImages(srv.url, 'slow', httpHeaders);
    const backlog = httpBacklog('slow', 12);
    await waitForQueueDepth('slow', 4);
    const err = await grpcError(unary(c.inference, 'ModelInfer', bytesInferRequest('slow', [small]), { ...auth, timeoutMs: 50 }));
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const delivered = await backlog;
    expect(delivered).toBe(12);
    expect((await engineImages(srv.url, 'slow', httpHeaders)) - before).toBe(delivered); // the late call never ran
  });

  it('parameters.timeout (µs) works over gRPC too: an expired request never reaches the engine', async () => {
    const before = await engineImages(srv.url, 'slow', httpHeaders);
    const err = await grpcError(unary(c.inference, 'ModelInfer', bytesInferRequest('slow', [small], { timeout: { int64_param: 1 } }), auth));
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(await engineImages(srv.url, 'slow', httpHeaders)).toBe(before);
  });

  it('a client that cancels has its queued images dropped before inference, logged CANCELLED', async () => {
    const before = await engineImages(srv.url, 'slow', httpHeaders);
    const backlog = httpBacklog('slow', 8); // 4 running, 4 queued: room for the 8 below
    await waitForQueueDepth('slow', 1);
    const gone = startUnary(c.inference, 'ModelInfer', bytesInferRequest('slow', Array(8).fill(small)), { ...auth, requestId: 'grpc-gone' });
    await waitForQueueDepth('slow', 5);
    gone.call.cancel();
    expect((await grpcError(gone.result)).code).toBe(grpc.status.CANCELLED);
    const delivered = await backlog;
    expect(delivered).toBe(8);
    for (let i = 0; i < 100 && !log.lines.some((l) => l.reqId === 'grpc-gone' && l.code); i++) await new Promise((r) => setTimeout(r, 20));
    expect(log.lines.find((l) => l.reqId === 'grpc-gone' && l.code)).toMatchObject({ level: 30, code: 'CANCELLED', method: 'ModelInfer' });
    expect((await engineImages(srv.url, 'slow', httpHeaders)) - before).toBe(delivered);
  });
});

describe('gRPC and HTTP share the micro-batcher', () => {
  it('32 concurrent gRPC requests with HTTP requests all succeed, ride shared batches > 1, and match HTTP detections', async () => {
    const bucket = async () => {
      const text = await metrics();
      const one = Number(new RegExp(`^detectfn_batch_size_bucket\\{le="1",model="burst",version="[^"]*"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      const all = Number(new RegExp(`^detectfn_batch_size_count\\{model="burst",version="[^"]*"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      return { multi: all - one, all };
    };
    const before = await bucket();
    const grpcCalls = Array.from({ length: 32 }, () => unary<InferRes>(c.inference, 'ModelInfer', bytesInferRequest('burst', [bus]), auth));
    const httpCalls = Array.from({ length: 8 }, () => restInfer('burst', bus));
    const [g, h] = await Promise.all([Promise.all(grpcCalls), Promise.all(httpCalls)]);
    const after = await bucket();
    expect(after.all - before.all).toBeGreaterThan(0); // the series is read (a renamed label would read 0)
    expect(after.all - before.all).toBeLessThan(40); // 40 images in fewer engine batches
    expect(after.multi - before.multi).toBeGreaterThan(0);
    const ref = h[0]!.outputs.map((o) => o.data);
    const [refDets, refBoxes, , refClasses] = ref as [number[], number[], number[], number[]];
    const n = refDets[0]!;
    expect(n).toBeGreaterThan(3);
    const answers: Map<string, { values: ArrayLike<number> }>[] = [...g.map((x) => rawOutputs(x.res)), ...h.map((x) => new Map(x.outputs.map((o) => [o.name, { values: o.data }])))];
    for (const out of answers) {
      expect(out.get('num_dets')!.values[0]).toBe(n);
      expect(Array.from(out.get('det_classes')!.values).slice(0, n)).toEqual(refClasses.slice(0, n));
      // Boxes from batches of different sizes may differ in the last float bits, never more.
      Array.from(out.get('det_boxes')!.values).slice(0, n * 4).forEach((v, i) => expect(Math.abs(v - refBoxes[i]!)).toBeLessThan(0.05));
    }
  });
});

describe('gRPC health and readiness', () => {
  it('a server whose model failed to load: NOT_SERVING, ServerReady false, ModelInfer UNAVAILABLE', async () => {
    const bad = await startServer({ env: {}, logger: capturingLogger().logger, config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [path.join(dir, 'missing.onnx')] } });
    const failed = bad.ready.catch(() => 'failed');
    const cc = grpcClients(bad.grpcPort!);
    try {
      expect(await failed).toBe('failed');
      expect((await unary(cc.health, 'Check', { service: '' })).res).toEqual({ status: 'NOT_SERVING' });
      expect((await unary(cc.health, 'Check', { service: 'inference.GRPCInferenceService' })).res).toEqual({ status: 'NOT_SERVING' });
      expect((await grpcError(unary(cc.health, 'Check', { service: 'other' }))).code).toBe(grpc.status.NOT_FOUND);
      expect((await unary(cc.inference, 'ServerReady', {})).res).toEqual({ ready: false });
      const err = await grpcError(unary(cc.inference, 'ModelInfer', bytesInferRequest('missing', [small])));
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      expect(err.details).toMatch(/^model missing failed to load: .*not found/);
      expect(err.metadata.get('grpc-retry-pushback-ms')).toEqual(['2000']);
    } finally {
      cc.close();
      await bad.close();
    }
  });

  it('shutdown drains: Watch turns NOT_SERVING and ends, new calls are refused, the call in flight finishes', async () => {
    const updates: string[] = [];
    const stream = (c.health as unknown as { Watch: (r: object) => grpc.ClientReadableStream<{ status: string }> }).Watch({ service: '' });
    const ended = new Promise<void>((resolve) => {
      stream.on('data', (d) => updates.push(d.status));
      stream.on('end', () => resolve());
      stream.on('error', () => resolve());
    });
    while (updates.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(updates).toEqual(['SERVING']);
    const inFlight = unary<InferRes>(c.inference, 'ModelInfer', bytesInferRequest('slow', Array(8).fill(small)), auth);
    await waitForQueueDepth('slow', 1);
    const closing = srv.close();
    await ended;
    expect(updates).toEqual(['SERVING', 'NOT_SERVING']);
    const late = await grpcError(unary(c.inference, 'ServerLive', {}));
    expect(late.code).toBe(grpc.status.UNAVAILABLE);
    const done = rawOutputs((await inFlight).res);
    expect(done.get('num_dets')!.shape).toEqual([8]);
    await closing;
  });
});
