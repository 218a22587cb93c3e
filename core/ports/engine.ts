/**
 * @module core/ports/engine
 * What the service needs from an inference engine. infra/engine implements it with
 * onnxruntime-node in worker threads; tests may use a fake that honours the same contract.
 */
import type { TensorInfo, TensorMap } from './tensor.js';

export type ExecutionProvider = 'tensorrt' | 'cuda' | 'webgpu' | 'cpu';

export interface EngineRunOptions {
  /** Aborting rejects the run with CANCELLED if it has not started yet. */
  readonly signal?: AbortSignal;
}

export interface Engine {
  /** The execution provider actually in use after fallback. */
  readonly provider: ExecutionProvider;
  /** Why each preferred provider before `provider` was skipped. */
  readonly skippedProviders: readonly { provider: ExecutionProvider; reason: string }[];
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Ultralytics (or other) key/value metadata stored in the model file. */
  readonly metadata: Readonly<Record<string, string>>;
  run(feeds: TensorMap, options?: EngineRunOptions): Promise<TensorMap>;
  close(): Promise<void>;
}
