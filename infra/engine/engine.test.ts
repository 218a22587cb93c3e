import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import { resolveEngineOptions, resolveWorkerScript, workerInit } from './engine.js';
import { createRestarts } from './restarts.js';
import type { ReadyInfo, WorkerClient } from './worker-client.js';

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

// ---- restarts.test ----
/**
 * The restart schedule on a fake clock. STAND-IN: the workers here are bare WorkerClient
 * objects whose start the test settles by hand, because what is checked is the schedule over
 * many attempts (minutes of backoff); real workers that really fail to start and come back
 * are in test/integration/engine-faults.test.ts.
 */

const silent = { info() {}, warn() {}, error() {} };
const flush = () => new Promise((r) => setImmediate(r));

function harness() {
  const clock = createFakeClock();
  type Spawned = { settle: { resolve(r: ReadyInfo): void; reject(e: Error): void }; closed: boolean };
  const spawned: Spawned[] = [];
  const started: WorkerClient[] = [];
  let failures = 0;
  const restarts = createRestarts({
    spawn() {
      const entry = { closed: false } as Spawned;
      const ready = new Promise<ReadyInfo>((resolve, reject) => (entry.settle = { resolve, reject }));
      spawned.push(entry);
      return { ready, busy: false, start() {}, reuse() {}, close: async () => void (entry.closed = true) };
    },
    missing: () => 1 - started.length,
    started: (c) => void started.push(c),
    failed: () => void failures++,
    backoff: { baseDelayMs: 1000, maxDelayMs: 30_000 },
    closeTimeoutMs: 10,
    clock,
    logger: silent,
  });
  const failLast = async () => (spawned.at(-1)!.settle.reject(new Error('model file is gone')), flush());
  return { clock, spawned, started, restarts, failLast, failures: () => failures };
}

describe('engine worker restarts', () => {
  it('retry a failing start forever, waiting half to all of min(30 s, 1 s x 2^n) between attempts', async () => {
    const h = harness();
    h.restarts.replenish();
    for (let n = 0; n < 12; n++) {
      expect(h.spawned).toHaveLength(n + 1);
      await h.failLast();
      const cap = Math.min(30_000, 1000 * 2 ** n);
      const wait = h.restarts.state().nextAttemptInMs!;
      expect(wait).toBeGreaterThanOrEqual(cap / 2);
      expect(wait).toBeLessThanOrEqual(cap);
      expect(h.restarts.state()).toMatchObject({ starting: 0, lastError: 'model file is gone' });
      h.restarts.replenish(); // a crash meanwhile does not jump the queue: the timer restarts it
      expect(h.spawned).toHaveLength(n + 1);
      h.clock.advance(wait);
    }
    expect(h.failures()).toBe(12);
  });

  it('a start that succeeds resets the backoff; close() cancels the timer and stops a starting worker', async () => {
    const h = harness();
    h.restarts.replenish();
    await h.failLast();
    h.clock.advance(h.restarts.state().nextAttemptInMs!);
    await h.failLast();
    expect(h.restarts.state().nextAttemptInMs).toBeGreaterThanOrEqual(1000); // second wait: 1-2 s
    h.clock.advance(h.restarts.state().nextAttemptInMs!);
    h.spawned.at(-1)!.settle.resolve({} as ReadyInfo);
    await flush();
    expect(h.started).toHaveLength(1);
    expect(h.restarts.state()).toEqual({ starting: 0, lastError: undefined, nextAttemptInMs: undefined });

    h.started.pop(); // that worker died: the next failure waits the base delay again
    h.restarts.replenish();
    await h.failLast();
    expect(h.restarts.state().nextAttemptInMs).toBeLessThanOrEqual(1000);
    await h.restarts.close();
    expect(h.clock.pending).toBe(0);

    const k = harness();
    k.restarts.replenish();
    await k.restarts.close();
    expect(k.spawned[0]!.closed).toBe(true);
  });
});
