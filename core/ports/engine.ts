/**
 * @module core/ports/engine
 * What the service needs from an inference engine. infra/engine implements it with
 * onnxruntime-node in worker threads; tests may use a fake that honours the same contract.
 */
import type { NormalizeOptions } from '../normalize/types.js';
import type { TensorInfo, TensorMap } from './tensor.js';

export type ExecutionProvider = 'tensorrt' | 'cuda' | 'webgpu' | 'cpu';

export interface EngineRunOptions {
  /** Aborting rejects the run with CANCELLED if it has not started yet. */
  readonly signal?: AbortSignal;
  /**
   * Feeds the engine normalises itself, by input name: each such feed is HWC uint8 pixels
   * [B, H, W, 3] (1 byte a value instead of 4, and no float tensor to allocate per batch), and
   * the model gets [B, 3, H, W] float32 or float16 made with these options. @default none
   */
  readonly normalize?: Readonly<Record<string, Partial<NormalizeOptions>>>;
  /**
   * Gets the `normalize` feeds back once the engine is done with them (a worker engine takes
   * their buffers on run), before the run settles, so the caller can reuse them. Not called
   * when they are lost (a crashed worker). @default none
   */
  readonly recycle?: (pixels: TensorMap) => void;
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
  /**
   * The caller is done reading `outputs` (exactly the map a `run` resolved with; views into it
   * count as reading it): the engine may write a later run's results into their buffers, which
   * spares a large allocation per batch. Optional to implement and to call. @default none
   */
  releaseOutputs?(outputs: TensorMap): void;
  close(): Promise<void>;
}
