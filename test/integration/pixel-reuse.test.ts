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
import { createSystemClock } from '../../infra/clock/index.js';
import { createEngine, type WorkerEngine } from '../../infra/engine/index.js';
import { createSharpDecoder, type SharpDecoder } from '../../infra/image/index.js';
import { loadManifest } from '../../infra/manifest/index.js';
import { createBatchedInference } from '../../infra/runtime/batched-inference.js';
import { createModelPipeline } from '../../infra/runtime/model-pipeline.js';
import type { ModelService } from '../../infra/runtime/model-service.js';
import { buildDemoModelFile } from '../../models/demo/index.js';
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
  return createModelPipeline({
    manifest, labels: ['red', 'green', 'blue', 'yellow'], engine, inference, decoder,
    coldStart: { downloadMs: 0, sessionMs: 0, warmupMs: 0, totalMs: 0 },
  });
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
  const reference = await Promise.all(images.map(async (img) => boxes(await (await pipeline(plain)).detect(img, {}))));
  expect(reference.every((r) => r !== '[]')).toBe(true);
  const reusingDecoder = decoderWithWorker();
  const model = await pipeline(reusingDecoder);
  // Six clients, each sending its next image as soon as the last answer came: decodes keep
  // running while other images wait in the batcher, so a buffer released too early would be hit.
  const got: string[][] = images.map(() => []);
  await Promise.all(images.map(async (_, client) => {
    for (let k = 0; k < 8; k++) {
      const i = (client + k) % images.length;
      got[i]!.push(boxes(await model.detect(images[i]!, {})));
    }
  }));
  got.forEach((results, i) => expect(results).toEqual(Array(results.length).fill(reference[i])));
  // And one multi-image request among single ones: batches mix them.
  const [many, ...single] = await Promise.all([model.detectMany(images, {}), ...images.map((img) => model.detect(img, {}))]);
  expect(many.map(boxes)).toEqual(reference);
  expect(single.map((r) => boxes(r as { detections: unknown[] }))).toEqual(reference);
  const { reused, spare } = reusingDecoder.pixelReuse();
  expect(reused).toBeGreaterThan(40); // most of the 60 decodes wrote into a released buffer
  expect(spare).toBeLessThanOrEqual(16);
  expect(plain.pixelReuse().reused).toBe(0);
});
