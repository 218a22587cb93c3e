/**
 * A manual Clock for deterministic tests of time-driven code (batcher, deadlines): time
 * moves only when the test calls `advance`, which fires due timers in time order.
 */
import type { Clock, TimerHandle } from '../../core/types.js';

export interface FakeClock extends Clock {
  /** Moves time forward, firing each timer that falls due (and timers those arm). */
  advance(ms: number): void;
  /** Timers armed and not yet fired or cleared. */
  readonly pending: number;
}

export function createFakeClock(start = 0): FakeClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return { id } as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      timers.delete((handle as unknown as { id: number }).id);
    },
    get pending() {
      return timers.size;
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined;
        for (const t of timers) if (t[1].at <= end && (!due || t[1].at < due[1].at)) due = t;
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
  };
}
