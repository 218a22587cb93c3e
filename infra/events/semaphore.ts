/**
 * @module infra/events/semaphore
 * A counting semaphore with a FIFO wait queue: the backpressure between a burst of object
 * events and memory. Whoever holds a permit may have one object's bytes in memory; everyone
 * else waits here holding nothing but the record.
 */
import { expectInteger } from '../../core/validate/index.js';

export interface Semaphore {
  /** Runs `fn` once a permit is free; the permit is returned however `fn` ends. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Permits in use now. */
  active(): number;
  /** Callers waiting for a permit. */
  waiting(): number;
}

export function createSemaphore(permits: number): Semaphore {
  expectInteger('permits', permits, 1);
  let inUse = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    const next = queue.shift();
    // Hand the permit straight to the next waiter so a newcomer cannot overtake it.
    if (next) next();
    else inUse -= 1;
  };
  const acquire = (): Promise<void> => {
    if (inUse < permits) {
      inUse += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => queue.push(resolve));
  };
  return {
    async run(fn) {
      await acquire();
      try {
        return await fn();
      } finally {
        release();
      }
    },
    active: () => inUse,
    waiting: () => queue.length,
  };
}
