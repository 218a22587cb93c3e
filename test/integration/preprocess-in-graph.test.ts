/**
 * `engine.preprocessInGraph` on real models and real onnxruntime: the rewritten graph (uint8
 * [B,H,W,3] in, normalised by Transpose/Cast/Sub/Div nodes) against the current path (pixels
 * normalised by the worker's WASM kernel) on the same pixels. The graph does the same two float32
 * operations as the kernel, so the model sees the same input; outputs are checked to 1e-4 of
 * the largest output value (what ORT may change by picking other kernels for other graphs), and
 * the observed difference is printed. Also: float16 inputs, the feed checks, warmup, and the
 * coco128 mAP through the whole service path.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packBatch } from '../../core/batch.js';
import { planLetterbox } from '../../core/geometry.js';
import { createNormalizer, type NormalizeOptions } from '../../core/normalize.js';
import type { Tensor, TensorMap } from '../../core/types.js';
import { createEngine, type EngineOptions, warmupEngine, type WorkerEngine } from '../../infra/engine/engine.js';
import { createApp } from '../../handlers/http/app.js';
import { loadConfig } from '../../infra/config.js';
import { createSharpDecoder } from '../../infra/image/decoder.js';
import { createMetrics } from '../../infra/metrics.js';
import { silentLogger } from '../../infra/config.js';
import { model, node, valueInfo } from '../../infra/onnx/graph.js';
import { parseManifest } from '../../infra/model/manifest.js';
import { createModelRegistry, type ModelRegistry } from '../../infra/model/registry.js';
import { loadModel } from '../../infra/model/load.js';
import { createModelStore } from '../../infra/store/store.js';
import { coco128Files, coco128Map } from '../helpers/coco128-map.js';
import { IMAGES, MODELS } from '../helpers/shared-data.js';
import { maxAbsDiff, randomPixels } from '../helpers/tensor-fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-ingraph-'));
const engines: WorkerEngine[] = [];
const open = async (modelPath: string, extra: Partial<EngineOptions> = {}) => {
  const e = await createEngine({ modelPath, providers: ['cpu'], intraOpThreads: 1, ...extra });
  engines.push(e);
  return e;
};
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
});

let bus: Uint8Array;
let plain: WorkerEngine, inGraph: WorkerEngine;
beforeAll(async () => {
  const decoder = createSharpDecoder({ workers: 0 });
  bus = (await decoder.decode(readFileSync(IMAGES.bus()), (source) => planLetterbox(source))).pixels;
  await decoder.close();
  [plain, inGraph] = await Promise.all([open(MODELS.yolov8n()), open(MODELS.yolov8n(), { preprocessInGraph: { images: {} } })]);
});

const size = { width: 640, height: 640 };
const RELATIVE = 1e-4;

/** The same pixel batch through both engines (each gets its own packed copy: feeds are transferred). */
async function both(a: WorkerEngine, b: WorkerEngine, input: string, items: Uint8Array[], px: typeof size, allowed: number[], options: Partial<NormalizeOptions>) {
  const feed = () => ({ [input]: packBatch(items.map((pixels) => ({ pixels, size: px })), allowed).tensor });
  const run = (e: WorkerEngine) => e.run(feed(), { normalize: { [input]: options } });
  const [ref, got] = await Promise.all([run(a), run(b)]);
  return { ref, got };
}

function expectClose(got: TensorMap, ref: TensorMap, label: string, count?: (name: string) => number) {
  for (const name of Object.keys(ref)) {
    const r = ref[name]!.data as Float32Array, g = got[name]!.data as Float32Array;
    const n = count?.(name) ?? r.length;
    const scale = r.subarray(0, n).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const diff = maxAbsDiff(g.subarray(0, n), r.subarray(0, n));
    console.log(`preprocessInGraph ${label} ${name}: max abs diff ${diff} (largest |value| ${scale.toFixed(2)})`);
    expect(got[name]!.dims, name).toEqual(ref[name]!.dims);
    expect(diff, `${label} ${name}`).toBeLessThanOrEqual(RELATIVE * scale);
  }
}

describe('engine.preprocessInGraph: rewritten graph vs worker normalisation', () => {
  it('reports the rewritten input (uint8 NHWC, same name) and equals the current path on bus.jpg', async () => {
    expect(inGraph.inputs).toEqual([{ name: 'images', dtype: 'uint8', shape: ['batch', 640, 640, 3] }]);
    expect(inGraph.metadata).toEqual(plain.metadata); // metadata_props kept by the rewrite
    const { ref, got } = await both(plain, inGraph, 'images', [bus], size, [1], {});
    expectClose(got, ref, 'bus b1');
  });

  it('equals the current path per real item in a padded batch (3 of 4)', async () => {
    const { ref, got } = await both(plain, inGraph, 'images', [bus, randomPixels(41), randomPixels(42)], size, [4], {});
    expect(got.output0!.dims).toEqual([4, 84, 8400]);
    expectClose(got, ref, 'padded 3/4', () => 3 * 84 * 8400);
  });

  it('applies NanoDet mean/std and BGR order in the graph like the worker does', async () => {
    const options = { scale: 1, mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395], modelOrder: 'bgr' } as const;
    const [a, b] = await Promise.all([open(MODELS.nanodet()), open(MODELS.nanodet(), { preprocessInGraph: { 'input.1': options } })]);
    const { ref, got } = await both(a, b, 'input.1', [randomPixels(43, 416, 416)], { width: 416, height: 416 }, [1], options);
    expectClose(got, ref, 'nanodet');
  });

  it('casts to float16 for a float16 input: the model sees the worker kernel\'s half values bit for bit', async () => {
    const file = path.join(dir, 'identity-f16.onnx');
    writeFileSync(file, model({
      name: 'id', opset: 17, producer: 'detectfn-test', initializers: [], nodes: [node('Identity', ['x'], ['y'])],
      inputs: [valueInfo('x', 'float16', ['b', 3, 8, 8])], outputs: [valueInfo('y', 'float16', ['b', 3, 8, 8])],
    }));
    const options = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], modelOrder: 'bgr', dtype: 'float16' } as const;
    const e = await open(file, { preprocessInGraph: { x: options } });
    const px = { width: 8, height: 8 };
    const items = [randomPixels(44, 8, 8), randomPixels(45, 8, 8)];
    const out = await e.run({ x: packBatch(items.map((pixels) => ({ pixels, size: px })), [2]).tensor }, { normalize: { x: options } });
    const want = new Uint16Array(2 * 3 * 8 * 8);
    const normalizer = createNormalizer();
    items.forEach((pixels, i) => normalizer.normalizeInto(pixels, px, want, i * 3 * 64, options));
    expect(out.y!.dtype).toBe('float16');
    expect(Array.from(out.y!.data as Uint16Array)).toEqual(Array.from(want));
  });

  it('refuses float feeds and other normalise options for an in-graph input (INVALID_ARGUMENT, before posting)', async () => {
    const float: Tensor = { dtype: 'float32', dims: [1, 3, 640, 640], data: new Float32Array(3 * 640 * 640) };
    const pixels = (): Tensor => ({ dtype: 'uint8', dims: [1, 640, 640, 3], data: new Uint8Array(640 * 640 * 3) });
    const errs = await Promise.all([
      inGraph.run({ images: float }).catch((x) => x),
      inGraph.run({ images: pixels() }, { normalize: { images: { modelOrder: 'bgr' } } }).catch((x) => x),
    ]);
    expect(errs.map((e) => e.code)).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
    expect(errs[0].message).toMatch(/images normalises in the model's graph \(engine\.preprocessInGraph\)/);
    expect(errs[1].message).toMatch(/differ from those in the model's graph/);
    expect(float.data.byteLength).toBeGreaterThan(0); // never posted
  });

  it('warms up on the serving path at every batch size', async () => {
    const shapes = await warmupEngine(inGraph, { inputName: 'images', itemDims: [3, 640, 640], batchSizes: [1, 2], normalize: {} });
    expect(shapes.map((s) => s.batchSize)).toEqual([1, 2]);
  });
});

describe('engine.preprocessInGraph through the service (manifest option)', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    const manifest = path.join(dir, 'yolov8n-ingraph.json');
    writeFileSync(manifest, JSON.stringify({ name: 'yolov8n-ingraph', source: { uri: MODELS.yolov8n() }, engine: { preprocessInGraph: true } }));
    registry = createModelRegistry({ models: [MODELS.yolov8n(), manifest], cacheDir: path.join(dir, 'cache'), logger: silentLogger() });
    await registry.whenReady();
  }, 120_000);
  afterAll(() => registry?.close());

  it('gives the same coco128 mAP as the current path, to 4 decimals', async () => {
    const files = coco128Files();
    const [ref, got] = [await coco128Map(registry.get('yolov8n'), files), await coco128Map(registry.get('yolov8n-ingraph'), files)];
    console.log(`preprocessInGraph coco128: mAP50-95 ${got.map50_95.toFixed(4)} / ${ref.map50_95.toFixed(4)}, mAP50 ${got.map50.toFixed(4)} / ${ref.map50.toFixed(4)} (in graph / current)`);
    expect(got.images).toBe(128);
    expect(got.map50_95.toFixed(4)).toBe(ref.map50_95.toFixed(4));
    expect(got.map50.toFixed(4)).toBe(ref.map50.toFixed(4));
  }, 300_000);

  it('KServe v2 metadata and config list only the image input for the in-graph model, and a tensor input is refused naming the option', async () => {
    const app = createApp({ registry, metrics: createMetrics(), logger: silentLogger(), config: loadConfig({}) });
    const inputs = async (m: string, view = '') => {
      const body = (await (await app.request(`/v2/models/${m}${view}`)).json()) as { inputs?: { name: string }[]; input?: { name: string }[] };
      return (body.inputs ?? body.input)!.map((i) => i.name);
    };
    expect(await inputs('yolov8n')).toEqual(['image', 'images']);
    expect(await inputs('yolov8n-ingraph')).toEqual(['image']);
    expect(await inputs('yolov8n-ingraph', '/config')).toEqual(['image']);
    const res = await app.request('/v2/models/yolov8n-ingraph/infer', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 640, 640], data: new Array(3 * 640 * 640).fill(0) }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: expect.stringMatching(/input 'images' is not an input of model yolov8n-ingraph; send 'image' .*engine\.preprocessInGraph/) });
  });

  it('refuses a preprocessed tensor for the in-graph model, naming the option', async () => {
    const tensor: Tensor = { dtype: 'float32', dims: [1, 3, 640, 640], data: new Float32Array(3 * 640 * 640) };
    const err = await registry.get('yolov8n-ingraph').detectTensor(tensor).catch((x) => x);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/engine\.preprocessInGraph/);
  });
});
