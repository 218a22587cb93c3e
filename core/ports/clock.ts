/**
 * @module core/ports/clock
 * Time as an injected dependency, so batching and deadlines are testable on a fake clock
 * without sleeps. infra provides the real one.
 */

export type TimerHandle = { readonly __timer: unique symbol } | number | object;

export interface Clock {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}
