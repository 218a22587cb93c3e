/**
 * Engine health through the real server (startServer on 127.0.0.1:0, real HTTP, the demo model
 * copied to a temp path so it can vanish, real worker threads). The ONE stand-in: createEngine
 * is wrapped to run the real worker wrapped to exit on a marker feed (its public `workerScript`
 * option, test/helpers/crash.ts) and keep a handle on the real engine, so the test can make a
 * worker thread really exit; everything else is the production path.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import type { WorkerEngine } from '../../infra/engine/engine.js';
import { capturingLogger } from '../helpers/capture-logger.js';
import { CRASHING_ENGINE_WORKER, crashFeed } from '../helpers/crash.js';
import { rectanglesImage, RGB } from '../helpers/images.js';
import { repoRoot } from '../helpers/shared-data.js';
import { randomImages } from '../helpers/tensor-fixtures.js';

const handles = vi.hoisted(() => ({ engines: [] as WorkerEngine[], workerScript: undefined as URL | undefined }));
vi.mock('../../infra/engine/engine.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../infra/engine/engine.js')>();
  return {
    ...real,
    createEngine: async (o: Parameters<typeof real.createEngine>[0]) => {
      const e = await real.createEngine({ ...o, workerScript: handles.workerScript, restartBackoff: { baseDelayMs: 200, maxDelayMs: 1000 } });
      handles.engines.push(e);
      return e;
    },
  };
});

handles.workerScript = CRASHING_ENGINE_WORKER;
const DEMO = path.join(repoRoot, 'models/demo/demo.onnx');
const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-engine-http-'));
const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** The demo manifest, its model file copied to a place of its own. */
function demoCopy(name: string): { manifest: string; file: string } {
  mkdirSync(path.join(dir, name));
  const file = path.join(dir, name, 'demo.onnx');
  copyFileSync(DEMO, file);
  const manifest = path.join(dir, name, 'demo.json');
  const m = { name: 'demo', source: { uri: file }, input: { shape: ['batch', 3, 320, 320] }, output: { decoder: 'yolov8' }, labels: 'metadata', batching: { batchSizes: [1] } };
  writeFileSync(manifest, JSON.stringify(m));
  return { manifest, file };
}

async function serve(name: string) {
  const { manifest, file } = demoCopy(name);
  const log = capturingLogger('info');
  const before = handles.engines.length;
  const srv = await startServer({ env: {}, logger: log.logger, config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [manifest], DETECTFN_CACHE_DIR: path.join(dir, name, 'cache') } });
  servers.push(srv);
  await srv.ready;
  const engine = handles.engines[before]!;
  /** Makes the model's only worker thread really exit (the run itself fails WORKER_CRASHED). */
  const crashWorker = () => engine.run({ images: randomImages(1, 1, 320), ...crashFeed() }).catch((e: { code: string }) => e.code);
  return { srv, file, log, crashWorker };
}

type ErrorBody = { error: { code: string; message: string } };
const image = () => rectanglesImage(640, 480, [{ x1: 100, y1: 80, x2: 300, y2: 200, color: RGB.red }]);
const detect = async (srv: RunningServer) =>
  fetch(`${srv.url}/v1/models/demo/detect`, { method: 'POST', body: await image(), headers: { 'content-type': 'image/png' } });

describe('a dead engine through HTTP', () => {
  it('readiness 503 names the model and why, detect answers 503 ENGINE_UNAVAILABLE with Retry-After, and both recover', async () => {
    const { srv, file, log, crashWorker } = await serve('recover');
    expect((await fetch(`${srv.url}/readyz`)).status).toBe(200);
    expect((await detect(srv)).status).toBe(200);

    unlinkSync(file);
    expect(await crashWorker()).toBe('WORKER_CRASHED');
    const why = /demo \(unavailable: no live engine worker: replacement failed: .*demo\.onnx.*; next attempt in \d+ s\)/;
    await vi.waitFor(async () => {
      const r = await fetch(`${srv.url}/readyz`);
      expect(r.status).toBe(503);
      expect(((await r.json()) as ErrorBody).error.message).toMatch(why);
    }, { timeout: 30_000, interval: 50 });
    expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(503);
    const listed = ((await (await fetch(`${srv.url}/v1/models`)).json()) as { models: unknown[] }).models;
    expect(listed).toEqual([expect.objectContaining({ name: 'demo', state: 'unavailable', reason: expect.stringMatching(/^no live engine worker: replacement failed/) })]);
    expect(await (await fetch(`${srv.url}/metrics`)).text()).toContain('detectfn_model_ready{model="demo",version="1"} 0');

    const r = await detect(srv);
    expect(r.status).toBe(503);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await r.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: 'ENGINE_UNAVAILABLE', message: expect.stringMatching(/^no live engine worker/) });
    const reqId = r.headers.get('x-request-id');
    expect(log.lines).toContainEqual(expect.objectContaining({ reqId, status: 503, code: 'ENGINE_UNAVAILABLE', msg: body.error.message }));

    copyFileSync(DEMO, file);
    await vi.waitFor(async () => expect((await fetch(`${srv.url}/readyz`)).status).toBe(200), { timeout: 30_000, interval: 50 });
    expect(await (await fetch(`${srv.url}/metrics`)).text()).toContain('detectfn_model_ready{model="demo",version="1"} 1');
    const again = await detect(srv);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { detections: { label: string }[] }).detections.map((d) => d.label)).toEqual(['red']);
  });

  it('the server closes while its only engine is dead and cannot restart', async () => {
    const { srv, file, crashWorker } = await serve('close');
    unlinkSync(file);
    expect(await crashWorker()).toBe('WORKER_CRASHED');
    await vi.waitFor(async () => expect((await fetch(`${srv.url}/readyz`)).status).toBe(503), { timeout: 30_000, interval: 50 });
    const late = detect(srv);
    expect((await late).status).toBe(503);
    await srv.close(); // a hang here fails the test by its timeout
    expect(srv.registry.status()).toEqual([{ name: 'demo', version: '1', state: 'closed', reason: 'shutting down' }]);
  });
});
