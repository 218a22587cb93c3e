/**
 * The restart schedule on a fake clock. STAND-IN: the workers here are bare WorkerClient
 * objects whose start the test settles by hand, because what is checked is the schedule over
 * many attempts (minutes of backoff); real workers that really fail to start and come back
 * are in test/integration/engine-faults.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import { createRestarts } from './restarts.js';
import type { ReadyInfo, WorkerClient } from './worker-client.js';

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
