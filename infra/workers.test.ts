/**
 * @module infra/workers.test
 * The worker pool with real piscina threads. STAND-IN: the threads run small fixture workers
 * (test/fixtures/workers/) instead of the engine's or the decoder's, because what is checked is
 * the pool itself: where tasks go, what a dead thread does to its tasks, close(), prepared
 * threads. The real workers through the same pool are in infra/image/decoder.test.ts and
 * test/integration/engine*.test.ts. No timings: overlapping tasks are held by a gate the test opens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DetectError } from '../core/errors.js';
import { createFakeClock } from '../test/helpers/fake-clock.js';
import { captureCallSite, createStartSchedule, createWorkerPool, restartDelayMs, type WorkerPool } from './workers.js';

const PROBE = new URL('../test/fixtures/workers/probe-worker.mjs', import.meta.url);
const PREPARED = new URL('../test/fixtures/workers/prepared-worker.mjs', import.meta.url);

const pools: WorkerPool<unknown, unknown>[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close(5000)));
});

function probePool(threads: number, tasksPerThread = 4) {
  const pool = createWorkerPool<Record<string, unknown>, unknown>({ name: 'probe', script: PROBE, threads, tasksPerThread, lazy: true });
  pools.push(pool);
  return pool;
}

/** An Int32Array on a SharedArrayBuffer that holds tasks until `open()`. */
function gate() {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return { cell, open: () => (Atomics.store(cell, 0, 1), Atomics.notify(cell, 0)) };
}

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as DetectError);

describe('createWorkerPool', () => {
  it('sends a task to the least-loaded thread: two tasks at once run on two threads, though one thread could take both', async () => {
    const pool = probePool(2, 4);
    const g = gate();
    const held = [pool.run({ wait: g.cell }, [], captureCallSite()), pool.run({ wait: g.cell }, [], captureCallSite())];
    g.open();
    const ids = await Promise.all(held);
    expect(new Set(ids).size).toBe(2);
    // With both threads started and idle, the next pair spreads the same way.
    const g2 = gate();
    const again = [pool.run({ wait: g2.cell }, [], captureCallSite()), pool.run({ wait: g2.cell }, [], captureCallSite())];
    g2.open();
    expect(new Set(await Promise.all(again))).toEqual(new Set(ids));
  });

  it('a thread that dies fails only its own task, as WORKER_CRASHED with the caller\'s stack; the other thread\'s task completes and the pool goes on', async () => {
    const pool = probePool(2, 4);
    const g = gate();
    const survivor = pool.run({ wait: g.cell }, [], captureCallSite());
    const crash = await failure(pool.run({ exit: 3 }, [], captureCallSite()));
    expect(crash).toBeInstanceOf(DetectError);
    expect(crash).toMatchObject({ code: 'WORKER_CRASHED', message: 'probe worker crashed: worker exited with code: 3' });
    expect(crash?.stack).toContain('workers.test.ts');
    g.open();
    expect(typeof (await survivor)).toBe('number');
    expect(typeof (await pool.run({}, [], captureCallSite()))).toBe('number'); // a replacement started on demand
  });

  it('brings a worker\'s typed failure back as a DetectError with its code, message and details, made at the call', async () => {
    const pool = probePool(1);
    const err = await failure(pool.run({ reply: { workerError: { code: 'UNDECODABLE_IMAGE', message: 'bad bytes', details: { at: 3 } } } }, [], captureCallSite()));
    expect(err).toMatchObject({ code: 'UNDECODABLE_IMAGE', status: 415, message: 'bad bytes', details: { at: 3 } });
    expect(err?.stack).toContain('workers.test.ts');
  });

  it('close() lets the tasks it was sent finish, then refuses new ones with NOT_READY', async () => {
    const pool = probePool(1);
    const g = gate();
    const running = pool.run({ wait: g.cell }, [], captureCallSite());
    const closed = pool.close(60_000);
    expect(await failure(pool.run({}, [], captureCallSite()))).toMatchObject({ code: 'NOT_READY' });
    g.open();
    expect(typeof (await running)).toBe('number');
    await closed;
  });

  it('close() returns when a thread never finishes its task (its wait is bounded), and that task fails NOT_READY', async () => {
    const pool = probePool(1);
    const g = gate();
    const stuck = failure(pool.run({ block: g.cell }, [], captureCallSite()));
    await pool.close(200); // a hang here fails the test by its timeout
    expect(await stuck).toMatchObject({ code: 'NOT_READY' });
    g.open(); // lets the thread end if terminate could not stop it
  });
});

describe('prepared threads', () => {
  function preparedPool(first: Record<string, unknown>) {
    const released = new Int32Array(new SharedArrayBuffer(4));
    const pool = createWorkerPool<unknown, { threadId: number; prepared: { n: number } | undefined }, Record<string, unknown>>({
      name: 'prepared', script: PREPARED, threads: 2, tasksPerThread: 1, lazy: false, workerData: { released },
      prepare: { first, rest: (answer) => ({ n: (answer as { n: number }).n + 1 }), backoff: { baseDelayMs: 1000, maxDelayMs: 30_000 }, clock: createFakeClock() },
    });
    pools.push(pool as WorkerPool<unknown, unknown>);
    return { pool, released };
  }

  it('the first thread prepares with `first`, every other with `rest(its answer)`; both take tasks once prepared', async () => {
    const { pool } = preparedPool({ n: 1 });
    expect(await pool.up()).toMatchObject({ n: 1 });
    expect(pool.counts()).toMatchObject({ prepared: 2, preparing: 0, lost: 0 });
    const answers = await Promise.all([pool.run({}, [], captureCallSite()), pool.run({}, [], captureCallSite())]);
    expect(answers.map((a) => a.prepared!.n).sort()).toEqual([1, 2]);
  });

  it('a preparation that fails before the pool is up rejects up() with its message and details', async () => {
    const { pool } = preparedPool({ fail: 'no execution provider could load the model' });
    await expect(pool.up()).rejects.toMatchObject({ message: 'no execution provider could load the model', details: { why: 'no execution provider could load the model' } });
  });

  it('close() has every thread release what it prepared before the threads end', async () => {
    const { pool, released } = preparedPool({ n: 1 });
    await pool.up();
    await pool.close(60_000);
    expect(Atomics.load(released, 0)).toBe(2);
  });
});

// Start schedule.
/**
 * The restart schedule on a fake clock: what is checked is the schedule over many attempts
 * (minutes of backoff). Real threads that really fail to start and come back are in
 * test/integration/engine-faults.test.ts.
 */
function scheduled() {
  const clock = createFakeClock();
  const schedule = createStartSchedule({ backoff: { baseDelayMs: 1000, maxDelayMs: 30_000 }, clock });
  let started = 0;
  const request = () => schedule.request(() => void started++);
  return { clock, schedule, request, started: () => started };
}

describe('start schedule', () => {
  it('retries a failing start forever, waiting half to all of min(30 s, 1 s x 2^n) between attempts; meanwhile no one jumps the queue', () => {
    const h = scheduled();
    h.request();
    for (let n = 0; n < 12; n++) {
      expect(h.started()).toBe(n + 1);
      expect(h.schedule.failed('model file is gone')).toMatchObject({ attempt: n + 1 });
      const cap = Math.min(30_000, 1000 * 2 ** n);
      const wait = h.schedule.state().nextAttemptInMs!;
      expect(wait).toBeGreaterThanOrEqual(cap / 2);
      expect(wait).toBeLessThanOrEqual(cap);
      expect(h.schedule.state().lastError).toBe('model file is gone');
      h.request(); // the failed thread asks again: it waits for the attempt
      expect(h.started()).toBe(n + 1);
      h.clock.advance(wait);
    }
    expect(h.started()).toBe(13);
  });

  it('a success resets the backoff and lets those waiting start at once; close() cancels the timer and nothing waiting starts', () => {
    const h = scheduled();
    h.request();
    h.schedule.failed('x');
    h.clock.advance(h.schedule.state().nextAttemptInMs!);
    h.schedule.failed('x');
    expect(h.schedule.state().nextAttemptInMs).toBeGreaterThanOrEqual(1000); // second wait: 1-2 s
    h.request();
    h.request();
    expect(h.started()).toBe(1);
    h.schedule.succeeded();
    expect(h.started()).toBe(3);
    expect(h.schedule.state()).toEqual({ lastError: undefined, nextAttemptInMs: undefined });
    h.schedule.failed('y'); // the next failure waits the base delay again
    expect(h.schedule.state().nextAttemptInMs).toBeLessThanOrEqual(1000);
    h.request();
    h.schedule.close();
    expect(h.clock.pending).toBe(0);
    h.clock.advance(60_000);
    expect(h.started()).toBe(3);
  });

  it('jitters each wait: "equal jitter", half of the capped delay fixed and half random', () => {
    const backoff = { baseDelayMs: 1000, maxDelayMs: 30_000 };
    for (const [retry, cap] of [[0, 1000], [3, 8000], [9, 30_000]] as const) {
      expect(restartDelayMs(retry, backoff, () => 0)).toBe(cap / 2);
      expect(restartDelayMs(retry, backoff, () => 0.5)).toBe(cap * 0.75);
      expect(restartDelayMs(retry, backoff, () => 0.999999)).toBe(cap - 1);
    }
    // The schedule draws its waits through it.
    const clock = createFakeClock();
    const schedule = createStartSchedule({ backoff, clock, random: () => 0 });
    schedule.failed('x');
    expect(schedule.state().nextAttemptInMs).toBe(500);
    // And with the real random source, waits differ from one another (all within [cap/2, cap]).
    const waits = Array.from({ length: 50 }, () => restartDelayMs(2, backoff));
    expect(new Set(waits).size).toBeGreaterThan(1);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(2000);
  });
});
