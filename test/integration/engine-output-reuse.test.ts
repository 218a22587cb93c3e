/**
 * Output buffers recycled through the real worker engine (infra/engine/output-buffers.ts): a
 * released output goes back to the worker (detached here), the next run of the same shape is
 * written into it (`outputsReused`), and what comes out equals a run into a fresh buffer, bit
 * for bit, also after a run of another batch size and through the batched-inference path.
 * The demo model ([batch,3,320,320] -> [batch,8,6400]) and yolov8n, real ONNX Runtime; and a
 * model built here whose declared output shape is wrong, which the worker must still answer.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Tensor } from '../../core/types.js';
import { createSystemClock } from '../../infra/host.js';
import { createEngine, type WorkerEngine } from '../../infra/engine/engine.js';
import { model, node, valueInfo } from '../../infra/onnx/graph.js';
import { createBatchedInference } from '../../infra/model/inference.js';
import { MODELS, repoRoot } from '../helpers/shared-data.js';
import { randomImages, randomPixels } from '../helpers/tensor-fixtures.js';

const DEMO = path.join(repoRoot, 'models/demo/demo.onnx');
const engines: WorkerEngine[] = [];
afterAll(() => Promise.all(engines.map((e) => e.close())));

async function engine(modelPath: string): Promise<WorkerEngine> {
  const e = await createEngine({ modelPath, providers: ['cpu'], intraOpThreads: 1 });
  engines.push(e);
  return e;
}

/** A copy of the input: runs transfer (detach) their feeds. */
const copy = (t: Tensor): Tensor => ({ dtype: t.dtype, dims: t.dims, data: (t.data as Float32Array).slice() });
const first = (t: Tensor): Tensor => ({ dtype: t.dtype, dims: [1, ...t.dims.slice(1)], data: (t.data as Float32Array).slice(0, t.data.length / t.dims[0]!) });

it('writes the next run of the same shape into a released output, with the same values as a fresh one', async () => {
  const e = await engine(DEMO);
  const a = randomImages(1, 2, 320);
  const b = randomImages(2, 2, 320);
  const fresh = (await e.run({ images: copy(b) })).output0!;
  const expected = Float32Array.from(fresh.data as Float32Array);
  expect(e.outputsReused).toBe(0);

  const outA = await e.run({ images: copy(a) });
  e.releaseOutputs!(outA);
  expect(outA.output0!.data.byteLength).toBe(0); // handed to the worker, not copied

  const again = (await e.run({ images: copy(b) })).output0!;
  expect(e.outputsReused).toBe(1);
  expect(again.dims).toEqual([2, 8, 6400]);
  expect(Buffer.compare(Buffer.from(new Uint8Array((again.data as Float32Array).buffer)), Buffer.from(expected.buffer))).toBe(0);

  // A batch of 1 needs another length: a new buffer, and still the right values.
  const one = (await e.run({ images: first(b) })).output0!;
  expect(e.outputsReused).toBe(1);
  expect(Array.from(one.data as Float32Array)).toEqual(Array.from(expected.subarray(0, 8 * 6400)));
});

it('ignores what it did not produce and a second release of the same outputs', async () => {
  const e = await engine(DEMO);
  const out = await e.run({ images: randomImages(3, 1, 320) });
  e.releaseOutputs!({ output0: { dtype: 'float32', dims: [1, 8, 6400], data: new Float32Array(8 * 6400) } });
  e.releaseOutputs!(out);
  e.releaseOutputs!(out);
  await e.run({ images: randomImages(4, 1, 320) });
  await e.run({ images: randomImages(5, 1, 320) });
  expect(e.outputsReused).toBe(1); // only the one real release came back
});

it('batched inference gives each batch output back once every item released it (yolov8n)', async () => {
  const e = await engine(MODELS.yolov8n());
  const p = createBatchedInference({
    engine: e, inputName: 'images', inputDims: [3, 640, 640], batchSizes: [1, 2, 4], batcher: { maxQueueDelayUs: 1_000_000 }, clock: createSystemClock(),
  });
  const size = { width: 640, height: 640 };
  const batch = async (seed: number) => Promise.all([0, 1, 2, 3].map((i) => p.infer({ pixels: randomPixels(seed + i) })));
  const first4 = await batch(10);
  expect(first4.map((r) => r.batchSize)).toEqual([4, 4, 4, 4]);
  first4.slice(0, 3).forEach((r) => r.release());
  expect(first4[0]!.outputs.output0!.data.byteLength).toBeGreaterThan(0); // one item still reading
  first4[3]!.release();
  expect(first4[0]!.outputs.output0!.data.byteLength).toBe(0);
  const reference = Float32Array.from((await batch(20))[2]!.outputs.output0!.data as Float32Array); // written into the released buffer
  expect(e.outputsReused).toBe(1);
  const fresh = await batch(20); // the previous batch was not released: a new buffer
  expect(e.outputsReused).toBe(1);
  expect(Array.from(fresh[2]!.outputs.output0!.data as Float32Array)).toEqual(Array.from(reference));
  await p.close();
});

it('runs a model whose declared output shape is wrong: the pre-allocated run is refused, the plain one answers', async () => {
  // y = Reshape(x, s) declares [batch, 4], but its shape comes from the input s: with s = [4, 2]
  // it is [4, 2], which a pre-allocated [2, 4] cannot take (ORT cannot see that at load).
  const bytes = model({
    name: 'lying-shape', producer: 'detectfn-test', opset: 17, initializers: [],
    inputs: [valueInfo('x', 'float32', ['batch', 4]), valueInfo('s', 'int64', [2])], outputs: [valueInfo('y', 'float32', ['batch', 4])], nodes: [node('Reshape', ['x', 's'], ['y'])],
  });
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'detectfn-lying-')), 'lying.onnx');
  await writeFile(file, bytes);
  const e = await engine(file);
  expect(e.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: ['batch', 4] }]);
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  for (let run = 0; run < 2; run++) {
    const out = await e.run({ x: { dtype: 'float32', dims: [2, 4], data: Float32Array.from(x) }, s: { dtype: 'int64', dims: [2], data: BigInt64Array.from([4n, 2n]) } });
    expect(out.y!.dims).toEqual([4, 2]);
    expect(Array.from(out.y!.data as Float32Array)).toEqual(x);
    e.releaseOutputs!(out);
  }
  expect(e.outputsReused).toBe(0); // pre-allocation is off for this worker after the refusal
});
