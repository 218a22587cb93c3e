/**
 * The ONNX engine on the real yolov8n models: provider fallback, batching equivalence,
 * concurrent workers, crash recovery (a real process.exit inside the worker thread: the
 * engine's `workerScript` is the real worker wrapped to exit on a marker feed, test/helpers/crash.ts).
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Tensor } from '../../core/types.js';
import { createEngine, type EngineLogger, warmupEngine, type WorkerEngine } from '../../infra/engine/engine.js';
import { CRASHING_ENGINE_WORKER, crashFeed } from '../helpers/crash.js';
import { MODELS } from '../helpers/shared-data.js';
import { maxAbsDiff, randomImages } from '../helpers/tensor-fixtures.js';

const HAS_GPU = existsSync('/dev/nvidia0') || existsSync('/dev/dri/renderD128');
const engines: WorkerEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
});

async function engine(options: Partial<Parameters<typeof createEngine>[0]> = {}): Promise<WorkerEngine> {
  const e = await createEngine({ modelPath: MODELS.yolov8n(), providers: ['cpu'], intraOpThreads: 1, ...options });
  engines.push(e);
  return e;
}

function recordingLogger() {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => lines.push({ level, msg, fields });
  const logger: EngineLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger };
}

/** Item `i` of a batch tensor as its own tensor (a copy; the input is transferred on run). */
function item(t: Tensor, i: number): Tensor {
  const per = t.data.length / t.dims[0]!;
  return { dtype: t.dtype, dims: [1, ...t.dims.slice(1)], data: (t.data as Float32Array).slice(i * per, (i + 1) * per) };
}

describe('createEngine (onnxruntime-node in worker threads)', () => {
  it('falls back from cuda to cpu, says why, and reports the model', async () => {
    const { lines, logger } = recordingLogger();
    const e = await engine({ providers: ['cuda', 'cpu'], logger });
    expect(e.provider).toBe('cpu');
    expect(e.skippedProviders).toEqual([{ provider: 'cuda', reason: expect.stringContaining('Failed to load shared library') }]);
    expect(lines.find((l) => l.level === 'warn')).toMatchObject({ msg: 'execution provider skipped', fields: { provider: 'cuda' } });
    expect(lines.find((l) => l.level === 'info')?.fields).toMatchObject({ provider: 'cpu' });
    expect(e.inputs).toEqual([{ name: 'images', dtype: 'float32', shape: ['batch', 3, 640, 640] }]);
    expect(e.outputs).toEqual([{ name: 'output0', dtype: 'float32', shape: ['batch', 84, 8400] }]);
    expect(e.metadata.task).toBe('detect');
    expect(e.metadata.stride).toBe('32');
  });

  it('fails with ENGINE_ERROR listing every provider when none loads', async () => {
    const err = await createEngine({ modelPath: MODELS.yolov8n(), providers: ['cuda', 'tensorrt'] }).catch((x) => x);
    expect(err.code).toBe('ENGINE_ERROR');
    expect(err.message).toMatch(/cuda: .*; tensorrt: /);
  });

  it.skipIf(!HAS_GPU)('runs on webgpu when a GPU is present (skipped: no GPU on this machine)', async () => {
    const e = await engine({ providers: ['webgpu'] });
    expect(e.provider).toBe('webgpu');
  });

  it('batch 2 gives the same outputs as two batch-1 runs; inputs are transferred, not copied', async () => {
    const e = await engine();
    const both = randomImages(7, 2);
    const [a, b] = [item(both, 0), item(both, 1)];
    const ra = await e.run({ images: a });
    const rb = await e.run({ images: b });
    const input = both.data;
    const r2 = (await e.run({ images: both })).output0!;
    expect(input.byteLength).toBe(0); // detached: the buffer moved to the worker
    expect(r2.dims).toEqual([2, 84, 8400]);
    const half = r2.data.length / 2;
    expect(maxAbsDiff(r2.data.subarray(0, half) as Float32Array, ra.output0!.data as Float32Array)).toBeLessThan(1e-4);
    expect(maxAbsDiff(r2.data.subarray(half) as Float32Array, rb.output0!.data as Float32Array)).toBeLessThan(1e-4);
  });

  it('two workers run at the same time and agree with each other', async () => {
    const e = await engine({ workers: 2 });
    expect(e.workerCount).toBe(2);
    const img = randomImages(3, 1);
    const runs = [0, 1, 2, 3].map(() => e.run({ images: item(img, 0) }));
    expect(e.queued).toBe(2); // two started at once (one per worker), two wait
    const outs = await Promise.all(runs);
    for (const o of outs.slice(1)) expect(maxAbsDiff(o.output0!.data as Float32Array, outs[0]!.output0!.data as Float32Array)).toBe(0);
  });

  it('a crashed worker fails only its in-flight request and is replaced', async () => {
    const { lines, logger } = recordingLogger();
    const e = await engine({ workers: 2, workerScript: CRASHING_ENGINE_WORKER, logger });
    const img = randomImages(5, 1);
    const crashing = e.run({ images: item(img, 0), ...crashFeed() });
    const others = [0, 1, 2].map(() => e.run({ images: item(img, 0) }));
    const err = await crashing.catch((x) => x);
    expect(err.code).toBe('WORKER_CRASHED');
    expect(err.stack).toContain('engine.test.ts'); // the stack points at the caller
    expect((await Promise.all(others)).map((o) => o.output0!.dims)).toEqual([[1, 84, 8400], [1, 84, 8400], [1, 84, 8400]]);
    await vi.waitFor(() => expect(e.workerCount).toBe(2), { timeout: 60_000, interval: 50 });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['engine worker crashed', 'engine worker replaced']));
    const after = await Promise.all([0, 1].map(() => e.run({ images: item(img, 0) })));
    expect(after).toHaveLength(2);
  });

  it('bad feeds reject with ENGINE_ERROR carrying ORT\'s message, and the worker goes on', async () => {
    const e = await engine();
    const err = await e.run({ images: randomImages(1, 1, 64) }).catch((x) => x);
    expect(err.code).toBe('ENGINE_ERROR');
    expect(err.message).toContain('Got invalid dimensions for input: images');
    expect(err.stack).toContain('engine.test.ts');
    expect((await e.run({ images: randomImages(1, 1) })).output0!.dims).toEqual([1, 84, 8400]);
  });

  it('a run aborted while queued rejects with CANCELLED', async () => {
    const e = await engine();
    const first = e.run({ images: randomImages(1, 1) });
    const ac = new AbortController();
    const second = e.run({ images: randomImages(2, 1) }, { signal: ac.signal });
    ac.abort();
    expect((await second.catch((x) => x)).code).toBe('CANCELLED');
    await first;
  });

  it('runs the fixed-batch int8 model (batch 1) and warms up every batch size', async () => {
    const int8 = await engine({ modelPath: MODELS.yolov8nInt8() });
    expect(int8.inputs[0]!.shape).toEqual([1, 3, 640, 640]);
    const out = await int8.run({ images: randomImages(4, 1) });
    expect(out.output0!.dims).toEqual([1, 84, 8400]);
    const dyn = await engine({ workers: 2 });
    const shapes = await warmupEngine(dyn, { inputName: 'images', itemDims: [3, 640, 640], batchSizes: [1, 2], parallel: 2 });
    expect(shapes.map((s) => [s.batchSize, s.ms.length])).toEqual([[1, 1], [2, 1]]);
  });
});
