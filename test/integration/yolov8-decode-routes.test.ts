/**
 * The two yolov8 best-class scans (WebAssembly SIMD over tiles of rows, and the JS fallback) on
 * real yolov8n outputs [1, 84, 8400]: 80 class rows go through the WASM kernel in tiles of 7,
 * which the random tensors of the unit tests are too small to reach. onnxruntime-node is called
 * directly (test/helpers/yolov8n-direct), as in yolov8n-reference.test.ts.
 */
import type * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createYolov8Decoder } from '../../core/decode.js';
import { IMAGES } from '../helpers/shared-data.js';
import { openYolov8n, yolov8nOutputs } from '../helpers/yolov8n-direct.js';

let session: ort.InferenceSession;
beforeAll(async () => {
  session = await openYolov8n();
});
afterAll(async () => {
  await session?.release();
});

describe('yolov8 decode routes on yolov8n outputs', () => {
  const wasm = createYolov8Decoder({ route: 'wasm-simd' });
  const js = createYolov8Decoder({ route: 'js' });

  it.each([['bus', IMAGES.bus], ['zidane', IMAGES.zidane]] as const)('%s: identical candidates at conf 0.25 and 0.001, with and without a class filter', async (_, file) => {
    const { outputs } = await yolov8nOutputs(session, file());
    for (const opts of [{ conf: 0.25 }, { conf: 0.001 }, { conf: 0.001, classes: [0, 5] }]) {
      const c = wasm.decode(outputs, 0, opts);
      expect(c).toEqual(js.decode(outputs, 0, opts));
    }
    expect(wasm.decode(outputs, 0, { conf: 0.25 }).count).toBeGreaterThan(0);
  });
});
