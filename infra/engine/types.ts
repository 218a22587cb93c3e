/**
 * @module infra/engine/types
 * Options and the public shape of the worker-thread engine. The Engine contract itself lives
 * in core/ports/engine.ts; this adds what only the ONNX Runtime adapter knows about.
 */
import type { Clock, Engine, EngineRunOptions, ExecutionProvider } from '../../core/ports/index.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Structured logging in pino's argument order (fields, message), so a pino Logger fits as is. */
export interface EngineLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export interface EngineOptions {
  /** Path of the .onnx file, read by each worker. */
  readonly modelPath: string;
  /** Ordered preference; the first that creates a session wins. @default ['cpu'] */
  readonly providers?: readonly ExecutionProvider[];
  /** Worker threads, each with its own session. @default 1 */
  readonly workers?: number;
  /** ORT intra-op threads per session; 0 lets ORT choose (one per core). @default 0 */
  readonly intraOpThreads?: number;
  /** ORT inter-op threads per session; 0 lets ORT choose. @default 0 */
  readonly interOpThreads?: number;
  /** @default 'all' */
  readonly graphOptimizationLevel?: GraphOptimizationLevel;
  /** ORT CPU memory arena: faster repeated runs, memory is kept. @default true */
  readonly enableMemArena?: boolean;
  /**
   * ORT thread-pool threads spin while waiting for work (ORT's default). Spinning threads
   * compete with the main thread on a machine with few cores. @default true
   */
  readonly allowSpinning?: boolean;
  /**
   * Inputs the model normalises itself (manifest `engine.preprocessInGraph`), with the options
   * baked in: each worker rewrites the ONNX graph at load (infra/onnx/preprocess-graph.ts) so the
   * input takes uint8 [B, H, W, 3] pixels. Runs must then send those inputs as pixel feeds with
   * the same `normalize` options; the worker passes them through untouched. @default none
   */
  readonly preprocessInGraph?: EngineRunOptions['normalize'];
  /** @default silent */
  readonly logger?: EngineLogger;
  /**
   * Worker script; by default dist/engine-worker.js next to a bundle, or worker-main.ts
   * through tsx when running from source. @default resolved automatically
   */
  readonly workerScript?: string | URL;
  /** Honour `crashWorker` in run options (tests of crash recovery only). @default false */
  readonly allowCrashControl?: boolean;
  /**
   * Waits between attempts to replace a dead worker whose replacement failed to start: doubling
   * from the base up to the cap, retried for as long as the engine is open.
   * @default { baseDelayMs: 1000, maxDelayMs: 30000 }
   */
  readonly restartBackoff?: RestartBackoff;
  /** Longest wait for one worker thread to stop on close() before it is left behind. @default 5000 */
  readonly closeTimeoutMs?: number;
  /** Restart timers and "next attempt in" (tests may pass a fake). @default the system clock */
  readonly clock?: Clock;
}

export interface RestartBackoff {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Whether the engine can run now; `reason` says why not and when the next restart is tried. */
export interface EngineHealth {
  readonly state: 'ready' | 'unavailable';
  readonly reason?: string;
}

export interface WorkerEngineRunOptions extends EngineRunOptions {
  /** With `allowCrashControl`: the worker that takes this run exits instead of answering. */
  readonly crashWorker?: boolean;
}

/** The Engine contract plus what the pool can tell about itself. */
export interface WorkerEngine extends Engine {
  /** Live workers (a crashed one counts again once its replacement is ready). */
  readonly workerCount: number;
  /** Milliseconds the first worker took to create its session (cold start, fallback included). */
  readonly sessionMs: number;
  /** Requests waiting for an idle worker. */
  readonly queued: number;
  /** Outputs written into buffers given back with `releaseOutputs` (instead of newly allocated ones). */
  readonly outputsReused: number;
  /** `ready` while at least one worker is live; else `unavailable`, naming the last start failure. */
  health(): EngineHealth;
  run(feeds: Parameters<Engine['run']>[0], options?: WorkerEngineRunOptions): ReturnType<Engine['run']>;
}

export const ENGINE_DEFAULTS = Object.freeze({
  providers: Object.freeze(['cpu'] as ExecutionProvider[]),
  workers: 1,
  intraOpThreads: 0,
  interOpThreads: 0,
  graphOptimizationLevel: 'all' as GraphOptimizationLevel,
  enableMemArena: true,
  allowSpinning: true,
  allowCrashControl: false,
  restartBackoff: Object.freeze({ baseDelayMs: 1000, maxDelayMs: 30_000 }),
  closeTimeoutMs: 5000,
});

export const SILENT_LOGGER: EngineLogger = Object.freeze({ info() {}, warn() {}, error() {} });
