/**
 * Letterboxed pixel buffers recycled on the serving path (DecodedImage.release -> the decoder's
 * spares -> the decode worker writes the next image into them), with real parts: the demo model
 * in a real engine worker, the real decoder with a real decode worker, the real batcher. A buffer
 * reused too early (before its batch was packed) or handed to two images at once would move
 * boxes; so every image must give exactly the detections of a pipeline that never reuses.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TensorMap } from '../../core/types.js';
import { sharedBytes } from '../../infra/host.js';
import { createSystemClock } from '../../infra/host.js';
import { createEngine, type WorkerEngine } from '../../infra/engine/engine.js';
import { createSharpDecoder, type SharpDecoder } from '../../infra/image/decoder.js';
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
let images: Uint8Array[];
const decoders: SharpDecoder[] = [];

beforeAll(async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  engine = await createEngine({ modelPath: DEMO_ONNX, providers: ['cpu'] });
  // Different sizes and aspect ratios: each letterbox pads differently, so a reused buffer must be repainted whole.
  const colours = [RGB.red, RGB.green, RGB.blue, RGB.yellow];
  images = await Promise.all([[64, 48], [48, 96], [120, 40], [80, 80], [200, 90], [50, 130]].map(([w, h], i) =>
    rectanglesImage(w!, h!, [{ x1: 4 + i, y1: 6, x2: Math.floor(w! * 0.7), y2: Math.floor(h! * 0.8), color: colours[i % 4]! }])));
});
afterAll(async () => {
  await Promise.all(decoders.map((d) => d.close()));
  await engine.close();
});

/** A detect pipeline on `decoder`: batches of up to 4, two in flight. */
async function pipeline(decoder: SharpDecoder): Promise<ModelService> {
  const manifest = await loadManifest(path.join(repoRoot, 'models/demo.json'));
  const inference = createBatchedInference({
    engine, inputName: 'images', inputDims: [3, 320, 320], batchSizes: [1, 2, 4],
    batcher: { maxQueue: 64, maxInFlight: 2, maxQueueDelayUs: 2000 }, clock: createSystemClock(),
  });
  return serveModel(assembleModel({
    manifest, labels: ['red', 'green', 'blue', 'yellow'], engine, inference, decoder,
    coldStart: { downloadMs: 0, sessionMs: 0, warmupMs: 0, totalMs: 0 },
  }));
}

function decoderWithWorker(): SharpDecoder {
  const d = createSharpDecoder({ workers: 1 });
  decoders.push(d);
  return d;
}

/** The same decoder, but its images are never released: nothing is reused. */
function neverReleasing(d: SharpDecoder): SharpDecoder {
  return { ...d, decode: async (bytes, planFor, hints) => ({ ...(await d.decode(bytes, planFor, hints)), release: undefined }) };
}

const boxes = (r: { detections: readonly unknown[] }) => JSON.stringify(r.detections);

it('gives every image the detections of a pipeline that never reuses, under concurrent requests, while buffers are reused', async () => {
  const plain = neverReleasing(decoderWithWorker());
  const reference = await Promise.all(images.map(async (img) => boxes(await (await pipeline(plain)).detect(img))));
  expect(reference.every((r) => r !== '[]')).toBe(true);
  const reusingDecoder = decoderWithWorker();
  const model = await pipeline(reusingDecoder);
  // A burst first, while no buffer was released yet: every image in flight at once.
  const burst = await Promise.all([...images, ...images].map((img) => model.detect(img)));
  expect(burst.map(boxes)).toEqual([...reference, ...reference]);
  // Six clients, each sending its next image as soon as the last answer came: decodes keep
  // running while other images wait in the batcher, so a buffer released too early would be hit.
  const got: string[][] = images.map(() => []);
  await Promise.all(images.map(async (_, client) => {
    for (let k = 0; k < 8; k++) {
      const i = (client + k) % images.length;
      got[i]!.push(boxes(await model.detect(images[i]!)));
    }
  }));
  got.forEach((results, i) => expect(results).toEqual(Array(results.length).fill(reference[i])));
  // And one multi-image request among single ones: batches mix them.
  const [many, ...single] = await Promise.all([model.detectMany(images), ...images.map((img) => model.detect(img))]);
  expect(many.map(boxes)).toEqual(reference);
  expect(single.map((r) => boxes(r as { detections: unknown[] }))).toEqual(reference);
  const { reused, spare } = reusingDecoder.pixelReuse();
  expect(reused).toBeGreaterThan(40); // most of the 72 decodes wrote into a released buffer
  expect(spare).toBeLessThanOrEqual(16);
  expect(plain.pixelReuse().reused).toBe(0);
});

it('a batch of pixels on a SharedArrayBuffer is read where it is and handed back as the same object; a crashed run fails WORKER_CRASHED and does not offer it back', async () => {
  const [h, w] = [320, 320];
  const pixels = new Uint8Array(2 * h * w * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 251;
  const shared = sharedBytes(pixels.length);
  shared.set(pixels);
  const feed = (data: Uint8Array) => ({ images: { dtype: 'uint8' as const, dims: [2, h, w, 3], data } });
  const crashy = await createEngine({ modelPath: DEMO_ONNX, providers: ['cpu'], workerScript: CRASHING_ENGINE_WORKER });
  try {
    const returned: unknown[] = [];
    const options = { normalize: { images: {} }, recycle: (p: TensorMap) => returned.push(p.images!.data) };
    const fromCopy = await crashy.run(feed(pixels.slice()), options);
    returned.length = 0;
    const fromShared = await crashy.run(feed(shared), options);
    expect(returned).toEqual([shared]);
    expect(returned[0]).toBe(shared); // the caller's own object, not a copy sent back
    expect(shared).toEqual(pixels); // read, never written
    for (const name of Object.keys(fromCopy)) expect(Buffer.from(fromShared[name]!.data.buffer).equals(Buffer.from(fromCopy[name]!.data.buffer))).toBe(true);
    returned.length = 0;
    const crashed = await crashy.run({ ...feed(shared), ...crashFeed() }, options).catch((e: { code: string }) => e);
    expect((crashed as { code: string }).code).toBe('WORKER_CRASHED');
    expect(returned).toEqual([]); // a buffer a dead run held is not offered for reuse
    // The replacement worker (or a queued retry until it is up) runs the next batch from the same buffer.
    const again = await retryWhileRestarting(() => crashy.run(feed(shared), options));
    expect(returned[0]).toBe(shared);
    for (const name of Object.keys(fromCopy)) expect(Buffer.from(again[name]!.data.buffer).equals(Buffer.from(fromCopy[name]!.data.buffer))).toBe(true);
  } finally {
    await crashy.close();
  }
});

/** Runs `f` again while the engine is between a crashed worker and its replacement (ENGINE_UNAVAILABLE). */
async function retryWhileRestarting<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f();
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENGINE_UNAVAILABLE' || i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
