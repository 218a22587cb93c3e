/**
 * Batched inference end to end on the real yolov8n: batcher + core/batch + worker engine.
 * 32 concurrent requests must give, item by item, the raw outputs of 32 sequential ones.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assembleBatch } from '../../core/batch.js';
import { createSystemClock } from '../../infra/host.js';
import { createEngine, type WorkerEngine } from '../../infra/engine/engine.js';
import { createBatchedInference, type InferResult } from '../../infra/model/inference.js';
import type { BatchStats } from '../../infra/model/batcher.js';
import { MODELS } from '../helpers/shared-data.js';
import { maxAbsDiff, randomPixels } from '../helpers/tensor-fixtures.js';

let engine: WorkerEngine;
beforeAll(async () => {
  engine = await createEngine({ modelPath: MODELS.yolov8n(), providers: ['cpu'], intraOpThreads: 2 });
});
afterAll(() => engine.close());

const size = { width: 640, height: 640 };
const pipeline = (onBatch?: (s: BatchStats) => void, maxQueueDelayUs = 20_000) =>
  createBatchedInference({
    engine, inputName: 'images', inputDims: [3, 640, 640], batchSizes: [1, 2, 4, 8],
    batcher: { maxQueueDelayUs, maxInFlight: 2 }, clock: createSystemClock(), onBatch,
  });

it('32 concurrent requests give the same raw outputs as 32 sequential ones', async () => {
  const images = Array.from({ length: 32 }, (_, i) => randomPixels(100 + i));
  const sequential = pipeline();
  const alone: InferResult[] = [];
  for (const pixels of images) alone.push(await sequential.infer({ pixels }));
  await sequential.close();
  expect(alone.every((r) => r.batchSize === 1)).toBe(true);

  const batches: BatchStats[] = [];
  const concurrent = pipeline((s) => batches.push(s));
  const together = await Promise.all(images.map((pixels) => concurrent.infer({ pixels })));
  await concurrent.close();
  expect(batches.reduce((n, b) => n + b.size, 0)).toBe(32);
  expect(Math.max(...batches.map((b) => b.size))).toBe(8); // 32 at once: full batches of 8
  expect(Math.max(...together.map((r) => r.batchSize))).toBe(8);
  for (let i = 0; i < 32; i++) {
    expect(together[i]!.outputs.output0!.dims).toEqual([1, 84, 8400]);
    const d = maxAbsDiff(together[i]!.outputs.output0!.data as Float32Array, alone[i]!.outputs.output0!.data as Float32Array);
    expect(d, `item ${i}`).toBeLessThan(1e-4);
  }
});

it('pads 3 items to the allowed batch size 4 and returns only the 3', async () => {
  // A 1 s delay: the 3 items (fewer than 8) go out together when the oldest has waited it.
  const p = pipeline(undefined, 1_000_000);
  const ps = [1, 2, 3].map((s) => p.infer({ pixels: randomPixels(s) }));
  const rs = await Promise.all(ps);
  expect(rs.map((r) => r.batchSize)).toEqual([4, 4, 4]);
  expect(rs.map((r) => Object.keys(r.outputs))).toEqual([['output0'], ['output0'], ['output0']]);
  await p.close();
});

it('checks a preprocessed tensor once where it enters, before it is queued', async () => {
  // Pixel items come from the service's own decoder at the plan's size and are trusted; a
  // tensor comes from a client, so tensorItems is its one check (the engine checks the batch).
  const p = pipeline();
  const bad = { dtype: 'float32' as const, dims: [1, 3, 2, 2], data: new Float32Array(12) };
  expect(() => p.tensorItems(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'input tensor must be float32 [N,3,640,640] for model model, got float32 [1,3,2,2]' }));
  expect(p.tensorItems({ dtype: 'float32', dims: [2, 3, 640, 640], data: new Float32Array(2 * 3 * 640 * 640) })).toHaveLength(2);
  expect(p.depth).toBe(0);
  await p.close();
});

it('a preprocessed float tensor rides the same batch as pixels and gives the same outputs', async () => {
  const pixels = randomPixels(7);
  const { tensor } = assembleBatch([{ pixels, size }], [1], {}); // normalised here, the way a KServe client would send it
  const batches: BatchStats[] = [];
  const p = pipeline((s) => batches.push(s), 1_000_000);
  const [fromPixels, fromTensor] = await Promise.all(p.reserve(2).submit([{ pixels }, { tensor: tensor.data as Float32Array }]));
  await p.close();
  expect(batches.map((b) => b.size)).toEqual([2]); // one batch of the batcher, two engine runs (one per kind)
  const d = maxAbsDiff(fromPixels!.outputs.output0!.data as Float32Array, fromTensor!.outputs.output0!.data as Float32Array);
  expect(d).toBeLessThan(1e-4);
});

it('an item whose batch is already running is rejected at its deadline; its batch mate still gets its result', async () => {
  const p = createBatchedInference({
    engine, inputName: 'images', inputDims: [3, 640, 640], batchSizes: [1, 2],
    batcher: { maxQueueDelayUs: 1_000_000 }, clock: createSystemClock(),
  });
  // Two items fill a batch of 2 and go at once; yolov8n at batch 2 on CPU runs far longer than 30 ms.
  const [a, b] = [randomPixels(1), randomPixels(2)]; // made first: making them takes milliseconds
  const hurried = p.infer({ pixels: a }, { deadline: performance.now() + 30 });
  const patient = p.infer({ pixels: b });
  let patientDone = false;
  void patient.then(() => (patientDone = true));
  const err = await hurried.catch((e: { code: string; message: string }) => e);
  expect(err).toMatchObject({ code: 'DEADLINE_EXCEEDED', message: 'deadline passed while its batch was running' });
  expect(patientDone).toBe(false); // the engine had not finished when the deadline answered
  expect((await patient).outputs.output0!.dims).toEqual([1, 84, 8400]);
  await p.close();
});
