import { describe, expect, it } from 'vitest';
import type { DetectError } from '../../core/errors.js';
import type { Engine, Tensor } from '../../core/types.js';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import { createBatchedInference } from './inference.js';

// A fake engine (no model): what matters here is what reaches it. Real engines: test/integration.
const flush = () => new Promise<void>((r) => setImmediate(r)); // lets settled promises run their handlers

describe('createBatchedInference', () => {
  // A 4x2 model input; the fake engine answers, per slot, the first byte of its pixels.
  function setupInference() {
    const clock = createFakeClock(1000);
    const runs: Tensor[] = [];
    const engine: Engine = {
      provider: 'cpu', skippedProviders: [], inputs: [], outputs: [], metadata: {},
      async run(feeds) {
        const t = feeds.images!;
        runs.push(t);
        const b = t.dims[0]!;
        return { out: { dtype: 'float32', dims: [b, 1], data: Float32Array.from({ length: b }, (_, i) => (t.data as Uint8Array)[i * 24]!) } };
      },
      async close() {},
    };
    const inference = createBatchedInference({ engine, inputName: 'images', inputDims: [3, 2, 4], batchSizes: [1, 2, 4], clock });
    return { clock, runs, inference };
  }

  it('checks a preprocessed tensor once, where it enters (tensorItems); pixel items come from the service\'s decoder and are trusted', async () => {
    // core/batch packs without checking items again, and the engine checks the packed batch at its boundary.
    const { runs, inference } = setupInference();
    const refusal = (input: Tensor) => { try { return ['items', inference.tensorItems(input).length]; } catch (e) { return [(e as DetectError).code, (e as DetectError).message]; } };
    expect(refusal({ dtype: 'float16', dims: [1, 3, 2, 4], data: new Uint16Array(24) })).toEqual(['INVALID_ARGUMENT', 'input tensor must be float32 [N,3,2,4] for model model, got float16 [1,3,2,4]']);
    expect(refusal({ dtype: 'float32', dims: [1, 3, 4, 2], data: new Float32Array(24) })).toEqual(['INVALID_ARGUMENT', 'input tensor must be float32 [N,3,2,4] for model model, got float32 [1,3,4,2]']);
    expect(refusal({ dtype: 'float32', dims: [2, 3, 2, 4], data: new Float32Array(5) })).toEqual(['INVALID_ARGUMENT', 'input tensor data has 5 elements, shape [2,3,2,4] needs 48']);
    expect(refusal({ dtype: 'float32', dims: [3, 2, 4], data: new Float32Array(24) })).toEqual(['items', 1]);
    expect(inference.depth).toBe(0);
    expect(runs).toHaveLength(0);
    await inference.close();
  });

  it('never runs more items than the largest allowed batch size, and pads a partial batch up to an allowed one', async () => {
    const { clock, runs, inference } = setupInference();
    const items = Array.from({ length: 7 }, (_, i) => ({ pixels: new Uint8Array(24).fill(i + 1) }));
    const results = Promise.all(inference.reserve(7).submit(items));
    await flush();
    clock.advance(10); // the 3 left over go when the oldest has waited maxQueueDelayUs (10 ms)
    const out = await results;
    expect(runs.map((r) => r.dims)).toEqual([[4, 2, 4, 3], [4, 2, 4, 3]]);
    expect(out.map((r) => r.outputs.out!.data[0])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(out.map((r) => r.batchSize)).toEqual([4, 4, 4, 4, 4, 4, 4]);
    await inference.close();
  });
});
