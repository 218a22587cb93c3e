/**
 * Normalisation inside the engine worker (Engine run option `normalize`) against the old
 * main-thread path (core assembleBatch -> float feed), on the real models: the model must see
 * the same input bit for bit, so outputs must match. Also the recycled pixel buffers, the
 * boundary checks (before anything is posted) and warmup on the same path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleBatch, packBatch } from '../../core/batch.js';
import { planLetterbox } from '../../core/geometry.js';
import { createNormalizer, type NormalizeOptions } from '../../core/normalize.js';
import type { DetectError } from '../../core/errors.js';
import type { Tensor, TensorMap } from '../../core/types.js';
import { createSystemClock } from '../../infra/host.js';
import { createEngine, warmupEngine, type WorkerEngine } from '../../infra/engine/engine.js';
import { createSharpDecoder } from '../../infra/image/decoder.js';
import { createBatchedInference } from '../../infra/model/inference.js';
import { CRASHING_ENGINE_WORKER, crashFeed } from '../helpers/crash.js';
import { IMAGES, MODELS, repoRoot } from '../helpers/shared-data.js';
import { maxAbsDiff, randomPixels } from '../helpers/tensor-fixtures.js';

const engines: WorkerEngine[] = [];
const open = async (modelPath: string) => {
  const e = await createEngine({ modelPath, providers: ['cpu'], intraOpThreads: 2 });
  engines.push(e);
  return e;
};
afterAll(() => Promise.all(engines.map((e) => e.close())));

let yolo: WorkerEngine;
let bus: Uint8Array;
beforeAll(async () => {
  yolo = await open(MODELS.yolov8n());
  const decoder = createSharpDecoder({ workers: 0 });
  bus = (await decoder.decode(readFileSync(IMAGES.bus()), (source) => planLetterbox(source))).pixels;
  await decoder.close();
});

const size = { width: 640, height: 640 };
const out = (m: TensorMap) => m.output0!.data as Float32Array;

/** Old path: float tensor built here. New path: uint8 pixels, normalised in the worker. */
async function bothPaths(e: WorkerEngine, input: string, items: Uint8Array[], px: typeof size, allowed: number[], options: Partial<NormalizeOptions>) {
  const batch = items.map((pixels) => ({ pixels, size: px }));
  const old = await e.run({ [input]: assembleBatch(batch, allowed, options, { normalizer: createNormalizer() }).tensor });
  const packed = packBatch(batch, allowed).tensor;
  const got: TensorMap[] = [];
  const now = await e.run({ [input]: packed }, { normalize: { [input]: options }, recycle: (p) => got.push(p) });
  return { old, now, packed, got };
}

describe('engine-side normalisation', () => {
  it('gives the same yolov8n outputs on bus.jpg as main-thread normalisation (batch 1)', async () => {
    const { old, now, packed, got } = await bothPaths(yolo, 'images', [bus], size, [1], {});
    expect(now.output0!.dims).toEqual([1, 84, 8400]);
    expect(maxAbsDiff(out(now), out(old))).toBeLessThanOrEqual(1e-6);
    expect(packed.data.byteLength).toBe(0); // the pixels were transferred to the worker...
    expect(got).toHaveLength(1);
    expect(got[0]!.images!.data.length).toBe(640 * 640 * 3); // ...and came back for reuse
    expect(Array.from((got[0]!.images!.data as Uint8Array).subarray(0, 64))).toEqual(Array.from(bus.subarray(0, 64)));
  });

  it('matches per real item in a padded batch (3 of 4), and again from a recycled buffer', async () => {
    const items = [bus, randomPixels(11), randomPixels(12)];
    const { old, now, got } = await bothPaths(yolo, 'images', items, size, [4], {});
    expect(now.output0!.dims).toEqual([4, 84, 8400]);
    const per = 84 * 8400;
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(out(now).subarray(i * per, (i + 1) * per), out(old).subarray(i * per, (i + 1) * per)), `item ${i}`).toBeLessThanOrEqual(1e-6);
    const into = got[0]!.images!.data as Uint8Array;
    const again = await yolo.run({ images: packBatch(items.map((pixels) => ({ pixels, size })), [4], { into }).tensor }, { normalize: { images: {} } });
    expect(maxAbsDiff(out(again).subarray(0, 3 * per), out(now).subarray(0, 3 * per))).toBe(0);
  });

  it('applies mean/std and BGR order like the old path (NanoDet, 416x416)', async () => {
    const nanodet = await open(MODELS.nanodet());
    const px = { width: 416, height: 416 };
    const options = { scale: 1, mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395], modelOrder: 'bgr' } as const;
    const { old, now } = await bothPaths(nanodet, nanodet.inputs[0]!.name, [randomPixels(21, 416, 416)], px, [1], options);
    for (const name of Object.keys(old)) expect(maxAbsDiff(now[name]!.data as Float32Array, old[name]!.data as Float32Array), name).toBeLessThanOrEqual(1e-6);
  });

  it('checks feeds and options before posting (INVALID_ARGUMENT); ORT errors still hand the pixels back', async () => {
    const pixels = (dims: number[]): Tensor => ({ dtype: 'uint8', dims, data: new Uint8Array(dims.reduce((a, b) => a * b, 1)) });
    const float: Tensor = { dtype: 'float32', dims: [1, 3, 640, 640], data: new Float32Array(3 * 640 * 640) };
    const bad = [
      yolo.run({ images: float }, { normalize: { images: {} } }),
      yolo.run({ images: pixels([1, 3, 640, 640]) }, { normalize: { images: {} } }),
      yolo.run({ images: pixels([1, 640, 640, 3]) }, { normalize: { images: { std: [1, 0, 1] } } }),
      yolo.run({}, { normalize: { images: {} } }),
    ];
    const errs = await Promise.all(bad.map((p) => p.catch((x) => x)));
    expect(errs.map((e) => e.code)).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
    expect(errs[2].message).toMatch(/std\[1\]/);
    expect(errs[0].stack).toContain('engine-normalize.test.ts');
    expect(float.data.byteLength).toBeGreaterThan(0); // never posted, so never detached

    const back: TensorMap[] = [];
    const err = await yolo.run({ images: pixels([1, 640, 640, 3]) }, { normalize: { images: { dtype: 'float16' } }, recycle: (p) => back.push(p) }).catch((x) => x);
    expect(err.code).toBe('ENGINE_ERROR'); // yolov8n takes float32: ORT refuses the float16 tensor
    expect(back[0]!.images!.data.length).toBe(640 * 640 * 3);
    expect((await yolo.run({ images: pixels([2, 640, 640, 3]) }, { normalize: { images: {} } })).output0!.dims).toEqual([2, 84, 8400]);
  });

  it('refuses a malformed pixel batch in run() (INVALID_ARGUMENT) before any thread sees it: the engine checks it once, the thread trusts it', async () => {
    // A tripwire: every feed map below carries the marker that makes the thread taking it exit.
    // Checked at the boundary, nothing is posted: no thread exits, no buffer is detached.
    const demo = await createEngine({ modelPath: path.join(repoRoot, 'models/demo/demo.onnx'), providers: ['cpu'], workerScript: CRASHING_ENGINE_WORKER });
    engines.push(demo);
    const batch = (dims: number[], extra = 0): Tensor => ({ dtype: 'uint8', dims, data: new Uint8Array(dims.reduce((a, b) => a * b, 1) + extra) });
    const malformed = [
      batch([1, 320, 320, 3], 3), // 3 bytes more than [1, 320, 320, 3] holds
      batch([1, 320, 320, 3], -3), // 3 bytes fewer
      batch([1, 320, 320, 4]), // 4 channels
      batch([2, 320, 320]), // no channel dim
      batch([0, 320, 320, 3]), // an empty batch
    ];
    for (const images of malformed) {
      const bytes = images.data.byteLength;
      const err = await demo.run({ images, ...crashFeed() }, { normalize: { images: {} } }).catch((x: DetectError) => x);
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('feeds.images') });
      expect(images.data.byteLength).toBe(bytes); // never posted, so never detached
    }
    expect(demo.queued).toBe(0);
    expect(demo.workerCount).toBe(1);
    expect(demo.health()).toEqual({ state: 'ready' });
    expect((await demo.run({ images: batch([1, 320, 320, 3]) }, { normalize: { images: {} } })).output0!.dims).toEqual([1, 8, 6400]);
  });

  it('warms up on the serving path: pixels normalised in the worker, every batch size', async () => {
    const shapes = await warmupEngine(yolo, { inputName: 'images', itemDims: [3, 640, 640], batchSizes: [1, 2], normalize: {} });
    expect(shapes.map((s) => s.batchSize)).toEqual([1, 2]);
  });

  it('batched inference (pixels normalised in the engine) gives the outputs of a float batch normalised on this thread', async () => {
    // The comparison the removed main-thread path used to provide: core's assembleBatch normalises
    // here into a float tensor, which the engine runs as it is (the KServe tensor path).
    const p = createBatchedInference({
      engine: yolo, inputName: 'images', inputDims: [3, 640, 640], batchSizes: [1, 2],
      batcher: { maxQueueDelayUs: 1_000_000 }, clock: createSystemClock(),
    });
    const items = [bus, randomPixels(31)];
    const batched = await Promise.all(items.map((pixels) => p.infer({ pixels })));
    await p.close();
    const here = await yolo.run({ images: assembleBatch(items.map((pixels) => ({ pixels, size })), [2], {}).tensor });
    const per = 84 * 8400;
    for (let i = 0; i < 2; i++) {
      expect(batched[i]!.batchSize).toBe(2);
      expect(maxAbsDiff(out(batched[i]!.outputs), out(here).subarray(i * per, (i + 1) * per)), `item ${i}`).toBeLessThanOrEqual(1e-6);
    }
  });

});
