/**
 * @module core/normalize/types
 * How HWC uint8 pixels become a model's CHW input: scale, optional per-channel mean/std,
 * channel order and element type. Defaults are Ultralytics' (RGB, /255, float32).
 */
import type { KernelRoute } from '../wasm/index.js';

export type ChannelOrder = 'rgb' | 'bgr';
export type NormalizeDType = 'float32' | 'float16';
/** Which kernel a Normalizer runs: WebAssembly SIMD, or plain JS where SIMD is unavailable. */
export type NormalizeRoute = KernelRoute;

export interface NormalizeOptions {
  /** Multiplier applied first. @default 1/255 */
  readonly scale: number;
  /** Per channel, in the model's channel order, subtracted after scaling. @default undefined (0, 0, 0) */
  readonly mean?: readonly [number, number, number];
  /** Per channel, in the model's channel order, divided by after the mean. @default undefined (1, 1, 1) */
  readonly std?: readonly [number, number, number];
  /** Channel order of the input pixels. @default 'rgb' */
  readonly sourceOrder: ChannelOrder;
  /** Channel order the model expects; channels are swapped when it differs. @default 'rgb' */
  readonly modelOrder: ChannelOrder;
  /** 'float16' writes IEEE half bits into a Uint16Array. @default 'float32' */
  readonly dtype: NormalizeDType;
}

export const DEFAULT_NORMALIZE: NormalizeOptions = Object.freeze({
  scale: 1 / 255,
  sourceOrder: 'rgb',
  modelOrder: 'rgb',
  dtype: 'float32',
});

/** Per source channel: the output plane it goes to and its float32 constants. */
export interface ChannelMap {
  readonly plane: number;
  /** mean / scale, rounded to float32. */
  readonly sub: number;
  /** std / scale, rounded to float32. */
  readonly div: number;
}

/** Validated options in the form both kernels consume. */
export interface NormalizePlan {
  readonly dtype: NormalizeDType;
  readonly channels: readonly [ChannelMap, ChannelMap, ChannelMap];
}
