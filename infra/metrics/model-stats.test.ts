import { describe, expect, it } from 'vitest';
import { createModelStats } from './model-stats.js';

describe('createModelStats', () => {
  it('keeps Triton\'s counts and nanosecond sums per request and per execution', () => {
    const s = createModelStats(() => 1234);
    s.begin();
    s.begin();
    expect(s.snapshot().pending).toBe(2);
    s.executed({ size: 2, computeInputMs: 0.5, computeInferMs: 10, computeOutputMs: 0.001 });
    s.executed({ size: 1, computeInputMs: 0.25, computeInferMs: 5, computeOutputMs: 0 });
    s.succeeded({ queueMs: 1, computeInputMs: 2, computeInferMs: 10, computeOutputMs: 0.5, totalMs: 14 }, 3);
    s.failed(3.5);
    const snap = s.snapshot();
    expect(snap).toMatchObject({
      success: { count: 1, ns: 14e6 }, fail: { count: 1, ns: 3.5e6 }, queue: { count: 1, ns: 1e6 },
      computeInput: { count: 1, ns: 2e6 }, computeInfer: { count: 1, ns: 10e6 }, computeOutput: { count: 1, ns: 0.5e6 },
      inferenceCount: 3, executionCount: 2, pending: 0, lastInference: 1234,
    });
    expect(snap.batches).toEqual([
      { batchSize: 1, computeInput: { count: 1, ns: 0.25e6 }, computeInfer: { count: 1, ns: 5e6 }, computeOutput: { count: 1, ns: 0 } },
      { batchSize: 2, computeInput: { count: 1, ns: 0.5e6 }, computeInfer: { count: 1, ns: 10e6 }, computeOutput: { count: 1, ns: 1000 } },
    ]);
  });

  it('hands out copies: a snapshot does not change under later records', () => {
    const s = createModelStats();
    const before = s.snapshot();
    s.begin();
    s.failed(1);
    expect(before.fail.count).toBe(0);
    expect(s.snapshot().lastInference).toBe(0); // failures do not move last_inference, as in Triton
  });
});
