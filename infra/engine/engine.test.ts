/**
 * @module infra/engine/engine.test
 * The engine's options and worker script, without threads. The engine with real threads and
 * models is in test/integration/engine*.test.ts; its restart schedule in infra/workers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { fixedOutputs, resolveEngineOptions, resolveWorkerScript, workerInit } from './engine.js';

describe('resolveEngineOptions', () => {
  it('fills the documented defaults', () => {
    const o = resolveEngineOptions({ modelPath: 'm.onnx' });
    expect(o).toMatchObject({ providers: ['cpu'], workers: 1, intraOpThreads: 0, graphOptimizationLevel: 'all', enableMemArena: true });
  });

  it('rejects bad values with the house message shape', () => {
    expect(() => resolveEngineOptions({ modelPath: 'm', workers: 0 })).toThrow(
      'Expected integer between 1 and 64 for workers but received 0 of type number',
    );
    expect(() => resolveEngineOptions({ modelPath: 'm', providers: ['dml' as never] })).toThrow(
      'Expected one of tensorrt, cuda, webgpu, cpu for providers[0] but received "dml" of type string',
    );
    expect(() => resolveEngineOptions({ modelPath: 'm', providers: [] })).toThrow('for providers');
    expect(() => resolveEngineOptions({ modelPath: '' })).toThrow('for modelPath');
    expect(() => resolveEngineOptions({ modelPath: 'm', restartBackoff: { baseDelayMs: 0, maxDelayMs: 10 } })).toThrow(
      'Expected number between 1 and Infinity for restartBackoff.baseDelayMs but received 0 of type number',
    );
    expect(() => resolveEngineOptions({ modelPath: 'm', closeTimeoutMs: -1 })).toThrow('for closeTimeoutMs');
  });

  it('restarts with backoff from 1 s to 30 s by default, and sends workers only what they can clone', () => {
    const o = resolveEngineOptions({ modelPath: 'm.onnx', logger: { info() {}, warn() {}, error() {} } });
    expect(o).toMatchObject({ restartBackoff: { baseDelayMs: 1000, maxDelayMs: 30_000 }, closeTimeoutMs: 5000 });
    const init = workerInit(o);
    expect(Object.keys(init).sort()).toEqual(
      ['allowSpinning', 'enableMemArena', 'graphOptimizationLevel', 'interOpThreads', 'intraOpThreads', 'modelPath', 'preprocessInGraph'],
    );
    expect(() => structuredClone(init)).not.toThrow();
    expect(init.preprocessInGraph).toEqual({});
  });

  it('checks preprocessInGraph options once, at creation', () => {
    expect(resolveEngineOptions({ modelPath: 'm', preprocessInGraph: { images: { scale: 1, mean: [1, 2, 3] } } }).preprocessInGraph)
      .toEqual({ images: { scale: 1, mean: [1, 2, 3] } });
    expect(() => resolveEngineOptions({ modelPath: 'm', preprocessInGraph: { images: { std: [1, 0, 1] } } })).toThrow('for std[1]');
  });
});

describe('resolveWorkerScript', () => {
  it('uses the tsx bootstrap from source and the sibling bundle from dist', () => {
    expect(resolveWorkerScript(undefined, new URL('./engine.ts', import.meta.url).href).pathname).toMatch(
      /infra\/engine\/worker-dev\.mjs$/,
    );
    expect(() => resolveWorkerScript(undefined, 'file:///nowhere/dist/server.js')).toThrow(
      '/nowhere/dist/engine-worker.js does not exist (run `npm run build`)',
    );
  });
});

describe('fixedOutputs', () => {
  it('pre-allocates only outputs whose shape is known before the run: numbers, and a first dim named like the first input\'s', () => {
    const inputs = [{ name: 'images', dtype: 'float32' as const, shape: ['batch', 3, 640, 640] }];
    const fixed = fixedOutputs(inputs, [
      { name: 'output0', dtype: 'float32', shape: ['batch', 84, 8400] },
      { name: 'scores', dtype: 'float16', shape: [1, 10] },
      { name: 'boxes', dtype: 'float32', shape: ['n', 4] }, // data-dependent
      { name: 'names', dtype: 'string' as never, shape: [3] }, // no typed array
    ]);
    expect(fixed.map((o) => [o.name, o.dims(4), o.Array.name])).toEqual([['output0', [4, 84, 8400], 'Float32Array'], ['scores', [1, 10], 'Uint16Array']]);
  });
});
