/**
 * Admission under overload, end to end: the real server (startServer on 127.0.0.1:0), the real
 * yolov8n in a real engine worker, real sockets. The engine's own count of images run is read
 * from /metrics (`detectfn_batch_size_sum`, recorded per engine batch, padding excluded) and
 * compared with the images delivered in 200 responses: any image run for a request that got
 * 503, 504 or hung up shows up as a difference. The manifest keeps the queue small (16) and runs
 * one batch of at most 4 at a time, so a few concurrent requests overload it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import { type CapturedLog, capturingLogger } from '../helpers/capture-logger.js';
import { engineImages as engineImagesRun, waitForQueueDepth as waitForQueueDepthOf } from '../helpers/engine-images.js';
import { rectanglesImage, RGB } from '../helpers/images.js';
import { MODELS } from '../helpers/shared-data.js';

const MODEL = 'slow';
const MAX_QUEUE = 16;
let srv: RunningServer, log: CapturedLog, dir: string, image: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'detectfn-admission-'));
  const manifest = path.join(dir, `${MODEL}.json`);
  writeFileSync(manifest, JSON.stringify({
    name: MODEL,
    source: { uri: MODELS.yolov8n() },
    engine: { providers: ['cpu'], workers: 1 },
    batching: { batchSizes: [1, 4], maxQueue: MAX_QUEUE, maxInFlight: 1, maxQueueDelayUs: 2000 },
  }));
  log = capturingLogger();
  srv = await startServer({ env: {}, logger: log.logger, config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [manifest] } });
  await srv.ready;
  image = await rectanglesImage(64, 48, [{ x1: 8, y1: 8, x2: 40, y2: 30, color: RGB.red }]);
});

afterAll(async () => {
  await srv?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const engineImages = () => engineImagesRun(srv.url, MODEL);

const waitForQueueDepth = (n: number) => waitForQueueDepthOf(srv.url, MODEL, n);

const detectImages = (n: number) =>
  fetch(`${srv.url}/v1/models/${MODEL}/detect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ images: Array.from({ length: n }, () => Buffer.from(image).toString('base64')) }),
  });

/** KServe binary request: FP32 [n,3,640,640] of mid-grey, Triton's layout (bodies built once: floods stay cheap). */
const tensorBodies = new Map<string, { header: Buffer; body: Buffer }>();
function inferTensor(n: number, parameters: Record<string, unknown> = {}) {
  const key = JSON.stringify([n, parameters]);
  let built = tensorBodies.get(key);
  if (!built) {
    const data = new Float32Array(n * 3 * 640 * 640).fill(0.5);
    const header = Buffer.from(JSON.stringify({
      parameters,
      inputs: [{ name: 'images', shape: [n, 3, 640, 640], datatype: 'FP32', parameters: { binary_data_size: data.byteLength } }],
    }));
    tensorBodies.set(key, (built = { header, body: Buffer.concat([header, Buffer.from(data.buffer)]) }));
  }
  return fetch(`${srv.url}/v2/models/${MODEL}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'Inference-Header-Content-Length': String(built.header.byteLength) },
    body: built.body,
  });
}

/** Status, and the images delivered: `results` of a detect answer, `num_dets` rows of a KServe one. */
async function outcome(res: Response): Promise<{ status: number; delivered: number; error: string }> {
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, delivered: 0, error: text };
  const body = JSON.parse(text);
  if (body.outputs) return { status: 200, delivered: body.outputs.find((o: { name: string }) => o.name === 'num_dets').shape[0], error: '' };
  return { status: 200, delivered: body.results ? body.results.length : 1, error: '' };
}

describe('admission: work the client will never see is never computed', () => {
  it('multi-image overload: each request is admitted whole or refused whole; no image of a 503 runs', async () => {
    const before = await engineImages();
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => detectImages(8).then(outcome)));
    const ok = outcomes.filter((o) => o.status === 200);
    const refused = outcomes.filter((o) => o.status === 503);
    expect(ok.length + refused.length).toBe(outcomes.length);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(JSON.parse(r.error).error.code).toBe('QUEUE_FULL');
    const delivered = ok.reduce((n, o) => n + o.delivered, 0);
    expect(delivered).toBe(ok.length * 8);
    expect((await engineImages()) - before).toBe(delivered); // wasted_images_ratio 0
  });

  it('KServe FP32 tensors ride the same queue bound: a flood gets 503 QUEUE_FULL, nothing refused runs', async () => {
    const before = await engineImages();
    // Waves on an empty queue: a 12-image request (4 run at once, 8 stay queued, read live from
    // /metrics), then 6 tensor requests of 2 items: 12 items for at most 8 free slots, so some are
    // refused unless the queue drained meanwhile; then the next wave tries again.
    const all: { status: number; delivered: number; error: string }[] = [];
    const pending: Promise<unknown>[] = [];
    const tensorOutcomes: typeof all = [];
    for (let wave = 0; wave < 8 && !tensorOutcomes.some((o) => o.status === 503); wave++) {
      await Promise.all(pending);
      pending.push(detectImages(12).then(outcome).then((o) => all.push(o)));
      await waitForQueueDepth(8);
      const flood = await Promise.all(Array.from({ length: 6 }, () => inferTensor(2).then(outcome)));
      tensorOutcomes.push(...flood);
      all.push(...flood);
    }
    await Promise.all(pending);
    expect(tensorOutcomes.some((o) => o.status === 503)).toBe(true);
    for (const o of tensorOutcomes.filter((x) => x.status !== 200)) {
      expect(o.status).toBe(503);
      expect(JSON.parse(o.error).error).toMatch(/queue is full/);
    }
    const delivered = all.reduce((n, o) => n + o.delivered, 0);
    expect((await engineImages()) - before).toBe(delivered);
  });

  it('KServe parameters.timeout (µs): expired tensor requests answer 504 and never reach the engine', async () => {
    const before = await engineImages();
    const expired = await outcome(await inferTensor(1, { timeout: 1 })); // 1 µs: over before it is queued
    expect(expired.status).toBe(504);
    expect(JSON.parse(expired.error).error).toMatch(/deadline/);
    expect(await engineImages()).toBe(before);
    // Queued behind 12 images (three batches of 4, one at a time: far over 50 ms of yolov8n on
    // CPU), with room left in the queue, a 50 ms timeout expires while queued. The backlog is
    // given time to be decoded and queued first, so the tensor cannot overtake it.
    const backlog = [detectImages(12).then(outcome)];
    await waitForQueueDepth(4);
    const late = await outcome(await inferTensor(1, { timeout: 50_000 }));
    expect(late.status).toBe(504);
    const done = await Promise.all(backlog);
    const delivered = done.reduce((n, o) => n + o.delivered, 0);
    expect((await engineImages()) - before).toBe(delivered); // the late tensor never ran
  });

  it('a client that closes its socket mid-request has its queued images dropped before inference', async () => {
    const before = await engineImages();
    const backlog = detectImages(8).then(outcome); // 4 running, 4 queued: room for the 8 below
    const body = JSON.stringify({ images: Array.from({ length: 8 }, () => Buffer.from(image).toString('base64')) });
    const req = http.request(`${srv.url}/v1/models/${MODEL}/detect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': 'gone-client' },
    });
    const closed = new Promise<void>((resolve) => req.on('close', () => resolve()));
    req.on('error', () => undefined); // the socket is destroyed on purpose
    req.end(body);
    // The backlog has at most 4 queued (its first 4 run at once): 5 or more means the gone
    // client's images are queued behind it.
    await waitForQueueDepth(5);
    req.destroy();
    await closed;
    const done = await backlog;
    expect(done.status).toBe(200);
    // Wait until the server has logged the gone client's outcome.
    for (let i = 0; i < 100 && !log.lines.some((l) => l.reqId === 'gone-client' && l.code); i++) await new Promise((r) => setTimeout(r, 20));
    const line = log.lines.find((l) => l.reqId === 'gone-client' && l.code);
    expect(line?.code).toBe('CANCELLED');
    expect(line?.msg).toBe('request was cancelled'); // dropped from the batcher's queue, not refused before it
    // Between seeing the queue depth and the socket's close reaching the server, a batch may
    // already have taken some of the gone client's images (seen on a loaded machine: 4 of 8);
    // the ones still queued must not run.
    const ran = (await engineImages()) - before;
    expect(ran).toBeGreaterThanOrEqual(done.delivered);
    expect(ran, 'images run: the backlog plus only those of the gone client dispatched before it left').toBeLessThan(done.delivered + 8);
  });
});
