/**
 * @module core/types
 * The shapes every layer shares, and the ports core declares for infra to implement.
 *
 * - Results: `Size`, xyxy boxes, `Detection`, per-stage timings.
 * - Tensors: the one tensor shape that crosses every boundary (engine, batcher, KServe). Plain
 *   typed arrays, so a tensor can be transferred to a worker thread without a copy.
 * - Ports: `Clock`, `ImageDecoder`, `Engine`. core never does I/O or reads the time itself; infra
 *   passes these in (sharp, onnxruntime-node, the system clock) and tests pass fakes that honour
 *   the same contracts, as Hono's adapters implement interfaces its core declares.
 */
import type { Size } from './geometry.js';
import type { NormalizeOptions } from './normalize.js';

/** x1, y1, x2, y2 in pixels. */
export type BoxXYXY = [number, number, number, number];

export interface Detection {
  /** x1, y1, x2, y2 in source-image pixels, clipped to the image. */
  readonly box: BoxXYXY;
  readonly score: number;
  readonly classId: number;
  readonly label: string;
}

/** Per-stage wall time in milliseconds, as reported in responses and histograms. */
export interface StageTimings {
  decode?: number;
  preprocess?: number;
  queue?: number;
  infer?: number;
  postprocess?: number;
  total?: number;
}

// Tensors.

export type TensorDType = 'float32' | 'float16' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool';

export type TensorArray = Float32Array | Uint16Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

export interface Tensor {
  readonly dtype: TensorDType;
  readonly dims: readonly number[];
  readonly data: TensorArray;
}

/** A tensor as a model declares it: a dimension is a number when fixed, a name when dynamic. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly (number | string)[];
}

export type TensorMap = Record<string, Tensor>;

// Clock: time as an injected dependency. Batching and deadlines run on it, so they are
// testable on a fake clock without sleeps.

export type TimerHandle = { readonly __timer: unique symbol } | number | object;

export interface Clock {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

// ImageDecoder: bytes in, letterboxed RGB pixels out. core computes the plan (pure geometry,
// core/geometry); the decoder executes it in one native call, as sharp builds its options and
// runs one pipeline.

export interface DecodedImage<Plan> {
  /** Source size after EXIF orientation was applied. */
  readonly source: Size;
  readonly plan: Plan;
  /** HWC uint8, 3 channels RGB, plan's target size. */
  readonly pixels: Uint8Array;
  /** Milliseconds spent decoding and resizing. */
  readonly decodeMs: number;
  /**
   * Hands `pixels` back to the decoder for a later image (no allocation, no garbage). Call it
   * only once nothing reads them any more; later calls do nothing. Not calling it costs only the reuse.
   */
  readonly release?: () => void;
}

/** Per-model choices that change how pixels are produced (the manifest's `decode` section). */
export interface DecodeHints {
  /**
   * Let a large JPEG be downscaled inside its DCT on load (much less to decode); the pixels then
   * differ from cv2.imread + INTER_LINEAR, so it is off unless a manifest asks. @default false
   */
  readonly shrinkOnLoad?: boolean;
}

export interface ImageDecoder<Plan> {
  /** `planFor` receives the oriented source size and returns how to resize and pad it. */
  decode(bytes: Uint8Array, planFor: (source: Size) => Plan, hints?: DecodeHints): Promise<DecodedImage<Plan>>;
}

// Engine: what the service needs from an inference engine. infra/engine implements it with
// onnxruntime-node in worker threads.

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
