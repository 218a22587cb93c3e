import { describe, expect, it } from 'vitest';
import { resolveEngineOptions, workerInit } from './options.js';
import { resolveWorkerScript } from './worker-script.js';

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
      ['allowCrashControl', 'allowSpinning', 'enableMemArena', 'graphOptimizationLevel', 'interOpThreads', 'intraOpThreads', 'modelPath', 'preprocessInGraph', 'providers'],
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
    expect(resolveWorkerScript(undefined, new URL('./worker-script.ts', import.meta.url).href).url.pathname).toMatch(
      /infra\/engine\/worker-dev\.mjs$/,
    );
    expect(() => resolveWorkerScript(undefined, 'file:///nowhere/dist/server.js')).toThrow(
      '/nowhere/dist/engine-worker.js does not exist (run `npm run build`)',
    );
  });
});
