/**
 * @module infra/clock/system-clock
 * The real Clock: performance.now() (monotonic, unaffected by wall-clock jumps) and Node
 * timers. Timers stay ref'd: a CLI awaiting a batched result must not exit with it pending.
 */
import type { Clock, TimerHandle } from '../../core/ports/index.js';

export function createSystemClock(): Clock {
  return {
    now: () => performance.now(),
    setTimeout(fn: () => void, ms: number): TimerHandle {
      return setTimeout(fn, ms);
    },
    clearTimeout(handle: TimerHandle): void {
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
}
