import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import { type BatcherOptions, type BatchStats, createBatcher } from './batcher.js';

/** `run` held open until the test settles it: batch timing is decided by the test alone. */
function gatedRun() {
  const calls: { items: number[]; resolve(out: unknown): void; reject(e: unknown): void }[] = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => calls.push({ items, resolve: resolve as (o: unknown) => void, reject }));
  const ok = (i: number) => calls[i]!.resolve(calls[i]!.items.map((x) => `r${x}`));
  return { calls, run, ok };
}

const flush = () => new Promise<void>((r) => setImmediate(r)); // lets settled promises run their handlers

function setup(over: Partial<BatcherOptions<number, string>> = {}) {
  const clock = createFakeClock(1000);
  const gate = gatedRun();
  const stats: BatchStats[] = [];
  const b = createBatcher<number, string>({
    maxBatchSize: 4, maxQueueDelayUs: 10_000, maxQueue: 8, maxInFlight: 1,
    clock, run: gate.run, onBatch: (s) => stats.push(s), ...over,
  });
  return { clock, gate, stats, b };
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code);

describe('createBatcher', () => {
  it('sends a batch as soon as it is full, without waiting for the timer', async () => {
    const { b, gate } = setup();
    const ps = [1, 2, 3, 4].map((x) => b.submit(x));
    expect(gate.calls.map((c) => c.items)).toEqual([[1, 2, 3, 4]]);
    gate.ok(0);
    expect(await Promise.all(ps)).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('sends a partial batch when the oldest item has waited maxQueueDelayUs, not before', async () => {
    const { b, gate, clock, stats } = setup();
    const p1 = b.submit(1);
    clock.advance(4);
    const p2 = b.submit(2);
    clock.advance(5.999);
    expect(gate.calls).toHaveLength(0);
    expect(clock.pending).toBe(1); // one timer, for the oldest item
    clock.advance(0.001);
    expect(gate.calls.map((c) => c.items)).toEqual([[1, 2]]);
    clock.advance(3);
    gate.ok(0);
    expect([await p1, await p2]).toEqual(['r1', 'r2']);
    expect(stats).toEqual([{ size: 2, queueMs: [10, 6], runMs: 3, ok: true }]);
  });

  it('maxQueueDelayUs 0 sends each item at once', () => {
    const { b, gate } = setup({ maxQueueDelayUs: 0, maxInFlight: 4 });
    void b.submit(1);
    void b.submit(2);
    expect(gate.calls.map((c) => c.items)).toEqual([[1], [2]]);
  });

  it('keeps at most maxInFlight batches running and starts the next when one ends', async () => {
    const { b, gate, clock } = setup({ maxInFlight: 2 });
    for (let x = 1; x <= 10; x++) void b.submit(x);
    expect(gate.calls.map((c) => c.items)).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
    expect(b.inFlight).toBe(2);
    expect(b.depth).toBe(2);
    clock.advance(20); // 9 and 10 become overdue while both slots are taken
    expect(gate.calls).toHaveLength(2);
    gate.ok(0);
    await flush();
    expect(gate.calls.map((c) => c.items)[2]).toEqual([9, 10]); // a slot frees: they go at once
  });

  it('rejects at once with QUEUE_FULL and retryAfterS when the queue is full', async () => {
    const { b } = setup({ maxInFlight: 1, maxQueue: 2, maxBatchSize: 1 });
    void b.submit(1); // running
    void b.submit(2);
    void b.submit(3);
    const err = await b.submit(4).catch((e) => e);
    expect(err.code).toBe('QUEUE_FULL');
    expect(err.status).toBe(503);
    expect(err.retryAfterS).toBe(1);
    expect(b.depth).toBe(2);
  });

  it('drops expired items before run with DEADLINE_EXCEEDED and fills the batch with live ones', async () => {
    const { b, gate, clock } = setup();
    const late = b.submit(1, { deadline: 1005 });
    const live = b.submit(2, { deadline: 2000 });
    const past = b.submit(3, { deadline: 999 });
    clock.advance(10);
    expect(gate.calls.map((c) => c.items)).toEqual([[2]]);
    expect(await codeOf(late)).toBe('DEADLINE_EXCEEDED');
    expect(await codeOf(past)).toBe('DEADLINE_EXCEEDED');
    gate.ok(0);
    expect(await live).toBe('r2');
  });

  it('removes an aborted item with CANCELLED and re-arms the timer for the new oldest', async () => {
    const { b, gate, clock } = setup();
    const ac = new AbortController();
    const p1 = b.submit(1, { signal: ac.signal });
    clock.advance(5);
    const p2 = b.submit(2);
    ac.abort();
    expect(await codeOf(p1)).toBe('CANCELLED');
    clock.advance(9);
    expect(gate.calls).toHaveLength(0); // item 2 has waited 9 of its 10 ms
    clock.advance(1);
    expect(gate.calls.map((c) => c.items)).toEqual([[2]]);
    gate.ok(0);
    expect(await p2).toBe('r2');
    const pre = new AbortController();
    pre.abort();
    expect(await codeOf(b.submit(3, { signal: pre.signal }))).toBe('CANCELLED');
  });

  it('a run that throws fails only its own items', async () => {
    const { b, gate, stats } = setup({ maxInFlight: 2, maxBatchSize: 2 });
    const first = [1, 2].map((x) => b.submit(x));
    const second = [3, 4].map((x) => b.submit(x));
    gate.calls[0]!.reject(new Error('boom'));
    gate.ok(1);
    expect(await Promise.all(first.map((p) => p.catch((e: Error) => e.message)))).toEqual(['boom', 'boom']);
    expect(await Promise.all(second)).toEqual(['r3', 'r4']);
    expect(stats.map((s) => s.ok).sort()).toEqual([false, true]);
  });

  it('a synchronous throw in run rejects the batch instead of escaping submit', async () => {
    const clock = createFakeClock();
    const b = createBatcher<number, number>({ clock, maxBatchSize: 1, run: () => { throw new Error('sync'); } });
    await expect(b.submit(1)).rejects.toThrow('sync');
  });

  it('fails the batch with ENGINE_ERROR when run returns the wrong number of results', async () => {
    const { b, gate } = setup({ maxBatchSize: 2 });
    const ps = [1, 2].map((x) => b.submit(x));
    gate.calls[0]!.resolve(['only one']);
    const errs = await Promise.all(ps.map((p) => p.catch((e) => e)));
    expect(errs.map((e) => e.code)).toEqual(['ENGINE_ERROR', 'ENGINE_ERROR']);
    expect(errs[0].message).toBe('batch function returned 1 results for 2 items');
  });

  it('close rejects queued items with NOT_READY, refuses new ones and waits for running batches', async () => {
    const { b, gate, clock } = setup({ maxBatchSize: 1 });
    const running = b.submit(1);
    const queued = b.submit(2);
    let closed = false;
    const closing = b.close().then(() => (closed = true));
    expect(await codeOf(queued)).toBe('NOT_READY');
    expect(await codeOf(b.submit(3))).toBe('NOT_READY');
    await flush();
    expect(closed).toBe(false);
    gate.ok(0);
    await closing;
    expect(await running).toBe('r1');
    expect(clock.pending).toBe(0);
  });

  it('admits a request all or none: QUEUE_FULL when its items do not all fit, and nothing of it is queued', async () => {
    const { b, gate, clock } = setup({ maxQueue: 8, maxBatchSize: 4, maxInFlight: 1 });
    const first = b.submitMany([1, 2, 3, 4, 5, 6]); // 4 run, 2 wait
    const held = b.reserve(5); // 2 queued + 5 held = 7 of 8
    const refused = b.submitMany([7, 8]);
    expect(await Promise.all(refused.map(codeOf))).toEqual(['QUEUE_FULL', 'QUEUE_FULL']);
    expect(b.depth).toBe(2);
    expect(() => b.reserve(2)).toThrow('queue is full (7 of 8 slots taken, 2 asked)');
    held.release();
    held.release(); // idempotent
    const later = b.reserve(6).submit([9]); // one of six used: the other five go back
    expect(() => b.reserve(6)).toThrow('queue is full (3 of 8 slots taken, 6 asked)');
    expect(b.reserve(5)).toBeDefined();
    expect(() => b.reserve(9)).toThrow('9 items in one request, but at most 8 can ever be queued (maxQueue)');
    gate.ok(0);
    expect(await Promise.all(first.slice(0, 4))).toEqual(['r1', 'r2', 'r3', 'r4']);
    clock.advance(10);
    expect(gate.calls[1]!.items).toEqual([5, 6, 9]);
    gate.ok(1);
    expect(await Promise.all([...first.slice(4), ...later])).toEqual(['r5', 'r6', 'r9']);
  });

  it('aborting a request drops only its queued items, before run; another request is untouched', async () => {
    const { b, gate, clock } = setup({ maxBatchSize: 2, maxInFlight: 1 });
    const ac = new AbortController();
    const mine = b.submitMany([1, 2, 3, 4], { signal: ac.signal }); // 1,2 run; 3,4 queued
    const other = b.submit(5);
    ac.abort();
    expect(await Promise.all(mine.slice(2).map(codeOf))).toEqual(['CANCELLED', 'CANCELLED']);
    expect(b.depth).toBe(1);
    gate.ok(0);
    expect(await Promise.all(mine.slice(0, 2))).toEqual(['r1', 'r2']); // a running batch is not interrupted
    clock.advance(10);
    expect(gate.calls.map((c) => c.items)).toEqual([[1, 2], [5]]);
    gate.ok(1);
    expect(await other).toBe('r5');
  });

  it('a failed batch drops the queued siblings of its items before the next batch can take them', async () => {
    const { b, gate, stats, clock } = setup({ maxBatchSize: 2, maxInFlight: 1 });
    const request = b.submitMany([1, 2, 3, 4]); // 1,2 run; 3,4 queued
    const bystander = b.submit(5);
    gate.calls[0]!.reject(new Error('engine died'));
    const got = await Promise.all(request.map((p) => p.catch((e: { code?: string; message: string }) => e.code ?? e.message)));
    expect(got).toEqual(['engine died', 'engine died', 'CANCELLED', 'CANCELLED']);
    expect(gate.calls.map((c) => c.items)).toEqual([[1, 2]]); // 3 and 4 never ran
    expect(b.depth).toBe(1);
    await flush();
    expect(stats.map((s) => s.size)).toEqual([2]);
    clock.advance(10);
    expect(gate.calls.map((c) => c.items)).toEqual([[1, 2], [5]]); // another request is not affected
    gate.ok(1);
    expect(await bystander).toBe('r5');
  });

  it('a running item is rejected at its deadline, not when its batch ends; its batch mates are not', async () => {
    const { b, gate, clock } = setup({ maxBatchSize: 2 });
    const late = b.submit(1, { deadline: 1050 });
    const patient = b.submit(2); // same batch, no deadline
    const queued = b.submit(3, { deadline: 1050 }); // waits: maxInFlight 1
    expect(gate.calls.map((c) => c.items)).toEqual([[1, 2]]);
    clock.advance(50);
    expect(await codeOf(late)).toBe('DEADLINE_EXCEEDED');
    const err = await queued.catch((e: Error) => e);
    expect((err as Error).message).toBe('deadline passed while queued for a batch');
    expect(await late.catch((e: Error) => e.message)).toBe('deadline passed while its batch was running');
    let settled = false;
    void patient.then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    gate.ok(0);
    expect(await patient).toBe('r2');
    await flush();
    expect(gate.calls).toHaveLength(1); // the expired item never ran
    expect(clock.pending).toBe(0); // no deadline timer left behind
  });

  it('validates options with the house message shape', () => {
    const clock = createFakeClock();
    const run = async (xs: number[]) => xs;
    expect(() => createBatcher({ clock, run, maxBatchSize: 0 })).toThrow(
      'Expected integer >= 1 for maxBatchSize but received 0 of type number',
    );
    expect(() => createBatcher({ clock, run, maxQueueDelayUs: -1 })).toThrow(
      'Expected integer >= 0 for maxQueueDelayUs but received -1 of type number',
    );
    expect(() => createBatcher({ clock, run, maxInFlight: 1.5 })).toThrow('for maxInFlight but received 1.5');
    expect(() => createBatcher({ clock, run: 'x' as never })).toThrow('Expected function for run');
  });
});
