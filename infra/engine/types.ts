/**
 * @module infra/engine/types
 * Options and the public shape of the worker-thread engine. The Engine contract itself lives
 * in core/ports/engine.ts; this adds what only the ONNX Runtime adapter knows about.
 */
import type { Engine, EngineRunOptions, ExecutionProvider } from '../../core/ports/index.js';

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
  /** @default silent */
  readonly logger?: EngineLogger;
  /**
   * Worker script; by default dist/engine-worker.js next to a bundle, or worker-main.ts
   * through tsx when running from source. @default resolved automatically
   */
  readonly workerScript?: string | URL;
  /** Honour `crashWorker` in run options (tests of crash recovery only). @default false */
  readonly allowCrashControl?: boolean;
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
});

export const SILENT_LOGGER: EngineLogger = Object.freeze({ info() {}, warn() {}, error() {} });
