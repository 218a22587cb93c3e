/**
 * @module infra/clock
 * The real Clock behind core/ports/clock.ts.
 */
export { createSystemClock } from './system-clock.js';
export { settledWithin } from './settled-within.js';
