/**
 * The model runtime end to end with real parts: real ONNX models in worker threads, the real
 * sharp decoder, a real radosgw S3 server for cold starts from object storage.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DetectError } from '../../core/errors.js';
import { createMetrics } from '../../infra/metrics.js';
import { createModelRegistry, type ModelRegistry } from '../../infra/model/registry.js';
import { boxError, rectanglesImage, RGB } from '../helpers/images.js';
import { s3ClientFor } from '../helpers/radosgw.js';
import { IMAGES, MODELS, REFERENCE, repoRoot } from '../helpers/shared-data.js';

const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeManifest(name: string, manifest: object): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(manifest));
  return file;
}

async function expectLoadError(registry: ModelRegistry, code: string, message: RegExp): Promise<void> {
  const err = await registry.whenReady().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DetectError);
  expect((err as DetectError).code).toBe(code);
  expect((err as DetectError).message).toMatch(message);
  expect(registry.allReady()).toBe(false);
  // Readiness names the failure (not "still loading"), and so does a request for the model.
  const [status] = registry.status();
  expect(status).toEqual({ name: status!.name, version: '1', state: 'failed', reason: (err as DetectError).message });
  expect(() => registry.get(status!.name)).toThrow(`model ${status!.name} failed to load: ${(err as DetectError).message}`);
  await registry.close();
}

describe('demo model through the registry', () => {
  let registry: ModelRegistry;
  beforeAll(() => {
    registry = createModelRegistry({ models: [path.join(repoRoot, 'models/demo.json')], cacheDir: path.join(dir, 'cache') });
  });
  afterAll(() => registry.close());

  it('is not ready while loading, then ready, and names unknown models', async () => {
    expect(registry.allReady()).toBe(false);
    expect(() => registry.get('demo')).toThrow(expect.objectContaining({ code: 'NOT_READY' }));
    await registry.whenReady();
    expect(registry.allReady()).toBe(true);
    expect(() => registry.get('nope')).toThrow(/unknown model "nope"; served models: demo/);
    const d = registry.get('demo').describe();
    expect(d.provider).toBe('cpu');
    expect(d.coldStart!.totalMs).toBeGreaterThan(0);
  });

  it('finds rectangles drawn at known places, through letterbox and back', async () => {
    await registry.whenReady();
    const rects = [
      { x1: 100, y1: 120, x2: 300, y2: 260, color: RGB.red },
      { x1: 500, y1: 50, x2: 700, y2: 450, color: RGB.blue },
    ];
    const bytes = await rectanglesImage(800, 500, rects);
    const r = await registry.get('demo').detect(bytes);
    expect(r.image).toEqual({ width: 800, height: 500 });
    expect(r.detections).toHaveLength(2);
    for (const rect of rects) {
      const label = rect.color === RGB.red ? 'red' : 'blue';
      const d = r.detections.find((x) => x.label === label)!;
      expect(d, label).toBeDefined();
      // One model-input pixel is 2.5 source pixels here (800 -> 320).
      expect(boxError(d.box, [rect.x1, rect.y1, rect.x2, rect.y2])).toBeLessThanOrEqual(5);
    }
    for (const stage of ['decode', 'preprocess', 'queue', 'infer', 'postprocess', 'total'] as const) {
      expect(r.timings[stage]).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('yolov8n', () => {
  it('gives the same detections for 32 concurrent requests as for 32 sequential ones', async () => {
    const manifest = writeManifest('yolov8n-local', { name: 'yolov8n', source: { uri: MODELS.yolov8n() }, batching: { batchSizes: [1, 2, 4] } });
    const registry = createModelRegistry({ models: [manifest], cacheDir: path.join(dir, 'cache') });
    try {
      await registry.whenReady();
      const m = registry.get('yolov8n');
      const images = [IMAGES.bus(), IMAGES.zidane()].map((p) => new Uint8Array(readFileSync(p)));
      const sequential: Awaited<ReturnType<typeof m.detect>>[] = [];
      for (let i = 0; i < 32; i++) sequential.push(await m.detect(images[i % 2]!));
      const concurrent = await Promise.all(Array.from({ length: 32 }, (_, i) => m.detect(images[i % 2]!)));
      expect(concurrent.some((r) => r.batchSize > 1)).toBe(true);
      concurrent.forEach((r, i) => {
        expect(r.detections.map((d) => d.classId)).toEqual(sequential[i]!.detections.map((d) => d.classId));
        r.detections.forEach((d, j) => {
          expect(boxError(d.box, sequential[i]!.detections[j]!.box)).toBeLessThan(1e-3);
          expect(Math.abs(d.score - sequential[i]!.detections[j]!.score)).toBeLessThan(1e-4);
        });
      });
      // And it is the reference pipeline's answer.
      const ref = JSON.parse(readFileSync(REFERENCE.samples(), 'utf8')).images.find((x: { image: string }) => x.image === 'bus.jpg');
      expect(sequential[0]!.detections.map((d) => d.classId).sort()).toEqual(ref.detections.map((d: { classId: number }) => d.classId).sort());
    } finally {
      await registry.close();
    }
  });

  it('cold-starts from a real S3 server, verifies sha256, and exports the breakdown', async () => {
    const conn = inject('radosgw');
    const s3 = s3ClientFor(conn);
    const bytes = readFileSync(MODELS.yolov8n());
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await s3.send(new CreateBucketCommand({ Bucket: 'runtime-models' })).catch(() => undefined);
    await s3.send(new PutObjectCommand({ Bucket: 'runtime-models', Key: 'v8/yolov8n.onnx', Body: bytes }));
    const manifest = writeManifest('yolov8n-s3', { name: 'yolov8n', source: { uri: 's3://runtime-models/v8/yolov8n.onnx', sha256 }, batching: { batchSizes: [1] } });
    const metrics = createMetrics();
    const registry = createModelRegistry({ models: [manifest], cacheDir: path.join(dir, 's3cache'), metrics, s3: { client: s3 } });
    try {
      await registry.whenReady();
      const cold = registry.get('yolov8n').describe().coldStart!;
      expect(cold.downloadMs).toBeGreaterThan(0);
      expect(cold.totalMs).toBeGreaterThanOrEqual(cold.downloadMs + cold.sessionMs + cold.warmupMs - 1);
      const text = await metrics.render();
      for (const phase of ['download', 'session', 'warmup', 'total']) {
        expect(text).toMatch(new RegExp(`detectfn_cold_start_seconds\\{model="yolov8n",version="1",phase="${phase}"\\} [0-9.]+`));
      }
      expect(text).toContain('detectfn_model_ready{model="yolov8n",version="1"} 1');
    } finally {
      await registry.close();
    }
    // A wrong checksum is refused before any session is created.
    const bad = writeManifest('yolov8n-bad-sha', { name: 'yolov8n', source: { uri: 's3://runtime-models/v8/yolov8n.onnx', sha256: '0'.repeat(64) }, batching: { batchSizes: [1] } });
    await expectLoadError(
      createModelRegistry({ models: [bad], cacheDir: path.join(dir, 's3cache-bad'), s3: { client: s3 } }),
      'INTEGRITY_ERROR',
      /sha256/,
    );
  });
});

describe('start-up refuses a manifest that does not match its model', () => {
  it('nanodet-m with a YOLOv8 manifest names both sides', async () => {
    const manifest = writeManifest('nanodet', { name: 'nanodet', source: { uri: MODELS.nanodet() } });
    await expectLoadError(
      createModelRegistry({ models: [manifest], cacheDir: path.join(dir, 'cache') }),
      'MODEL_MISMATCH',
      /manifest says input `images` float32 \[batch,3,640,640\], model has `input\.1` float32 \[1,3,416,416\]/,
    );
  });

  it('yolo26n (end2end, fixed batch 1) with a YOLOv8 manifest is refused', async () => {
    const manifest = writeManifest('yolo26n', { name: 'yolo26n', source: { uri: MODELS.yolo26n() } });
    await expectLoadError(createModelRegistry({ models: [manifest], cacheDir: path.join(dir, 'cache') }), 'MODEL_MISMATCH', /batch/);
  });

  it('a bare nanodet-m path is adapted to its input but still refused: not a YOLO output layout', async () => {
    await expectLoadError(createModelRegistry({ models: [MODELS.nanodet()], cacheDir: path.join(dir, 'cache') }), 'MODEL_MISMATCH', /output/);
  });

  it('an unreadable manifest is listed by its path as failed, the other models as not loaded', async () => {
    const missing = path.join(dir, 'missing.json');
    const registry = createModelRegistry({ models: [path.join(repoRoot, 'models/demo.json'), missing], cacheDir: path.join(dir, 'cache') });
    await expect(registry.whenReady()).rejects.toThrow(`manifest ${missing}: cannot be read (ENOENT)`);
    expect(registry.status()).toEqual([
      { name: 'demo', version: '1', state: 'failed', reason: `not loaded: model ${missing} failed` },
      { name: missing, state: 'failed', reason: `manifest ${missing}: cannot be read (ENOENT)` },
    ]);
    await registry.close();
  });

  it('a model file that is not ONNX is MODEL_INVALID, not a crash', async () => {
    const junk = path.join(dir, 'junk.onnx');
    writeFileSync(junk, 'this is not a model');
    await expectLoadError(createModelRegistry({ models: [junk], cacheDir: path.join(dir, 'cache') }), 'MODEL_INVALID', /junk\.onnx/);
  });
});

describe('a bare model path takes its facts from the file', () => {
  it('yolo26n serves as end2end with batch 1 and finds the bus and the people', async () => {
    const registry = createModelRegistry({ models: [MODELS.yolo26n()], cacheDir: path.join(dir, 'cache') });
    try {
      await registry.whenReady();
      const m = registry.get('yolo26n');
      expect(m.describe()).toMatchObject({ decoder: 'end2end', batchSizes: [1], inputSize: { width: 640, height: 640 } });
      const r = await m.detect(new Uint8Array(readFileSync(IMAGES.bus())));
      const labels = r.detections.map((d) => d.label);
      expect(labels).toContain('bus');
      expect(labels.filter((l) => l === 'person').length).toBeGreaterThanOrEqual(3);
    } finally {
      await registry.close();
    }
  });
});
