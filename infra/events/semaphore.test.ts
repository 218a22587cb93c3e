import { describe, expect, it } from 'vitest';
import { createSemaphore } from './semaphore.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('createSemaphore', () => {
  it('never runs more than `permits` at once, and runs waiters in arrival order', async () => {
    const sem = createSemaphore(3);
    const gates = Array.from({ length: 10 }, deferred);
    const started: number[] = [];
    let live = 0;
    let peak = 0;
    const all = gates.map((g, i) =>
      sem.run(async () => {
        started.push(i);
        peak = Math.max(peak, ++live);
        await g.promise;
        live -= 1;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    expect(sem.waiting()).toBe(7);
    for (const g of gates) {
      g.resolve();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(peak).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sem.active()).toBe(0);
  });

  it('returns the permit when the task throws', async () => {
    const sem = createSemaphore(1);
    await expect(sem.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(sem.run(async () => 7)).resolves.toBe(7);
    expect(sem.active()).toBe(0);
  });

  it('rejects a permit count that is not a positive integer', () => {
    expect(() => createSemaphore(0)).toThrow(/permits/);
  });
});
