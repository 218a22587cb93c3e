/**
 * ModelService.detectMany with real parts: the demo model in a real engine worker, the real
 * sharp decoder, the real batcher. What a failing item does to its siblings is counted by the
 * batcher's own onBatch stats (every item that reached the engine). The one injected fault: the
 * engine runs the real worker wrapped to exit on a marker feed (its public `workerScript`
 * option, test/helpers/crash.ts), so the worker thread really exits.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../core/types.js';
import type { BatchStats } from '../../infra/model/batcher.js';
import { createSystemClock } from '../../infra/host.js';
import { createEngine, type WorkerEngine } from '../../infra/engine/engine.js';
import { createSharpDecoder } from '../../infra/image/decoder.js';
import { loadManifest } from '../../infra/model/manifest.js';
import { createBatchedInference } from '../../infra/model/inference.js';
import { assembleModel } from '../../infra/model/load.js';
import { serveModel } from '../../infra/model/registry.js';
import type { ModelService } from '../../infra/model/registry.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { CRASHING_ENGINE_WORKER, crashFeed } from '../helpers/crash.js';
import { rectanglesImage, RGB } from '../helpers/images.js';
import { repoRoot } from '../helpers/shared-data.js';

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
let engine: WorkerEngine;
let image: Uint8Array;

beforeAll(async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  engine = await createEngine({ modelPath: DEMO_ONNX, providers: ['cpu'], workerScript: CRASHING_ENGINE_WORKER });
  image = await rectanglesImage(64, 48, [{ x1: 8, y1: 8, x2: 40, y2: 30, color: RGB.red }]);
});
afterAll(() => engine.close());

/** A pipeline whose engine crashes its worker on the first `crashes` runs; batches of at most 4, one at a time, 8 slots. */
async function pipeline(crashes: number): Promise<{ model: ModelService; batches: BatchStats[]; depth: () => number }> {
  const manifest = await loadManifest(path.join(repoRoot, 'models/demo.json'));
  const crashing: Engine = { ...engine, run: (feeds, o) => engine.run(crashes-- > 0 ? { ...feeds, ...crashFeed() } : feeds, o) };
  const batches: BatchStats[] = [];
  const inference = createBatchedInference({
    engine: crashing, inputName: 'images', inputDims: [3, 320, 320], batchSizes: [1, 2, 4],
    batcher: { maxQueue: 8, maxInFlight: 1, maxQueueDelayUs: 1000 }, clock: createSystemClock(), onBatch: (s) => batches.push(s),
  });
  const model = serveModel(assembleModel({
    manifest, labels: ['red', 'green', 'blue', 'yellow'], engine, inference, decoder: createSharpDecoder(),
    coldStart: { downloadMs: 0, sessionMs: 0, warmupMs: 0, totalMs: 0 },
  }));
  return { model, batches, depth: () => inference.depth };
}

it('a batch that fails fails its request, and the request\'s images still queued never run', async () => {
  const { model, batches } = await pipeline(1);
  const err = await model.detectMany(Array.from({ length: 8 }, () => image)).catch((e: { code: string }) => e);
  expect((err as { code: string }).code).toBe('WORKER_CRASHED');
  expect(batches.map((b) => [b.size, b.ok])).toEqual([[4, false]]); // the other 4 were dropped, not run
  const after = await model.detectMany([image, image]); // the replacement worker serves the next request
  expect(after.map((r) => r.detections[0]?.label)).toEqual(['red', 'red']);
  expect(batches.map((b) => b.size)).toEqual([4, 2]);
});

it('a bad image fails its request before anything runs and gives its queue slots back', async () => {
  const { model, batches, depth } = await pipeline(0);
  const junk = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const err = await model.detectMany([image, junk, image]).catch((e: { code: string; status: number }) => e);
  expect(err).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 }); // not an image format sharp knows
  expect(batches).toEqual([]);
  expect(depth()).toBe(0);
  // All 8 slots are free again: a full-queue request is admitted, not refused with QUEUE_FULL.
  const full = await model.detectMany(Array.from({ length: 8 }, () => image));
  expect(full).toHaveLength(8);
  expect(batches.reduce((n, b) => n + b.size, 0)).toBe(8);
});

it('a request larger than the queue can ever hold is a 400, not a 503 to retry forever', async () => {
  const { model } = await pipeline(0);
  const err = await model.detectMany(Array.from({ length: 9 }, () => image)).catch((e: { code: string; status: number }) => e);
  expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', status: 400 });
});
