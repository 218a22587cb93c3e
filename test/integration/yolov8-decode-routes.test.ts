/**
 * The two yolov8 best-class scans (WebAssembly SIMD over tiles of rows, and the JS fallback) on
 * real yolov8n outputs [1, 84, 8400]: 80 class rows go through the WASM kernel in tiles of 7,
 * which the random tensors of the unit tests are too small to reach. onnxruntime-node is called
 * directly, as in yolov8n-reference.test.ts.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createYolov8Decoder, normalizeInto, planLetterbox, type TensorMap } from '../../core/index.js';
import { createSharpDecoder } from '../../infra/image/index.js';
import { IMAGES, MODELS } from '../helpers/shared-data.js';

let session: ort.InferenceSession;
beforeAll(async () => {
  session = await ort.InferenceSession.create(MODELS.yolov8n(), { executionProviders: ['cpu'] });
});
afterAll(async () => {
  await session?.release();
});

async function rawOutput(file: string): Promise<TensorMap> {
  const image = await createSharpDecoder().decode(readFileSync(file), (source) => planLetterbox(source));
  const { target } = image.plan;
  const input = new Float32Array(3 * target.width * target.height);
  normalizeInto(image.pixels, target, input, 0);
  const out = (await session.run({ images: new ort.Tensor('float32', input, [1, 3, target.height, target.width]) })).output0!;
  return { output0: { dtype: 'float32', dims: out.dims, data: out.data as Float32Array } };
}

describe('yolov8 decode routes on yolov8n outputs', () => {
  const wasm = createYolov8Decoder({ route: 'wasm-simd' });
  const js = createYolov8Decoder({ route: 'js' });

  it.each([['bus', IMAGES.bus], ['zidane', IMAGES.zidane]] as const)('%s: identical candidates at conf 0.25 and 0.001, with and without a class filter', async (_, file) => {
    const outputs = await rawOutput(file());
    for (const opts of [{ conf: 0.25 }, { conf: 0.001 }, { conf: 0.001, classes: [0, 5] }]) {
      const c = wasm.decode(outputs, 0, opts);
      expect(c).toEqual(js.decode(outputs, 0, opts));
    }
    expect(wasm.decode(outputs, 0, { conf: 0.25 }).count).toBeGreaterThan(0);
  });
});
