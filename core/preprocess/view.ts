/**
 * @module core/preprocess/view
 * The model input turned back into an 8-bit RGB image (HWC) by undoing mean/std, scale and
 * channel order with the constants the caller passes. Given the constants the model expects,
 * a correct pipeline shows the letterboxed image with its grey padding, while a tensor on the
 * wrong scale shows as white or black: values are clamped to 0..255, never rescaled to fit.
 */
import { invalidParameterError } from '../validate/index.js';
import { toFloat32 } from './channel-stats.js';

export interface InverseSpec {
  /** The multiplier the forward path applied (1/255 for YOLO). */
  readonly scale: number;
  /** Per model channel. @default [0, 0, 0] */
  readonly mean?: readonly number[] | undefined;
  /** Per model channel. @default [1, 1, 1] */
  readonly std?: readonly number[] | undefined;
  /** The model's channel order; the output is always RGB. */
  readonly channelOrder: 'rgb' | 'bgr';
}

/** `dims` is [1, 3, H, W] or [3, H, W]; pixel = clamp(round((v * std + mean) / scale)). */
export function tensorToRgb(data: Float32Array | Uint16Array, dims: readonly number[], inv: InverseSpec): { pixels: Uint8Array; width: number; height: number } {
  const d = dims.length === 4 && dims[0] === 1 ? dims.slice(1) : dims;
  if (d.length !== 3 || d[0] !== 3) throw invalidParameterError('dims', '[1, 3, H, W] or [3, H, W]', dims.join('x'));
  const [, height, width] = d as [number, number, number];
  const plane = width * height;
  const values = toFloat32(data);
  const pixels = new Uint8Array(plane * 3);
  for (let out = 0; out < 3; out++) {
    // Output channel `out` (R, G, B) reads the model plane that holds it.
    const c = inv.channelOrder === 'bgr' ? 2 - out : out;
    const m = inv.mean?.[c] ?? 0, s = inv.std?.[c] ?? 1;
    for (let p = 0, src = c * plane; p < plane; p++) {
      const x = Math.round((values[src + p]! * s + m) / inv.scale);
      pixels[p * 3 + out] = x < 0 ? 0 : x > 255 ? 255 : x;
    }
  }
  return { pixels, width, height };
}
