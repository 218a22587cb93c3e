/**
 * @module infra/image/pipeline
 * The ways a LetterboxPlan is executed, each one sharp pipeline from encoded bytes:
 * - cv2-linear: orient -> flatten -> sRGB 8-bit full-size raw, then core's bit-exact OpenCV
 *   INTER_LINEAR resize writes straight into the padded buffer;
 * - a sharp kernel: orient -> flatten -> resize -> extend with the pad grey -> sRGB 8-bit raw,
 *   all inside libvips;
 * - shrink-on-load (a manifest's `decode.shrinkOnLoad`, large JPEGs only): the sharp route with
 *   libvips' JPEG load scaled in the DCT (1/2, 1/4 or 1/8) and its linear kernel for the rest.
 * Every route outputs the plan's target, and the plan is made from the ORIGINAL oriented size,
 * so boxes map back through the same plan whichever route made the pixels.
 * Alpha is flattened onto the pad grey, so transparent areas look like padding (cv2.imread
 * would instead drop alpha and expose whatever colour hides under it). Greyscale, CMYK,
 * palette and 16-bit inputs all leave as 3-channel 8-bit sRGB. Embedded ICC profiles are
 * ignored, as cv2.imread ignores them (applying them moved bus.jpg by 1.67 levels on average).
 */
import sharp, { type Sharp } from 'sharp';
import type { CropPlan } from '../../core/crop/index.js';
import type { LetterboxPlan } from '../../core/letterbox/types.js';
import type { Size } from '../../core/types.js';
import { cropLinear, cropWindow, letterboxLinear, type LinearResizer } from '../../core/resize/index.js';
import type { ResizeMode } from './options.js';

function grey(v: number): { r: number; g: number; b: number } {
  return { r: v, g: v, b: v };
}

function oriented(bytes: Uint8Array, limitInputPixels: number, padValue: number): Sharp {
  return sharp(bytes, { limitInputPixels, ignoreIcc: true }).autoOrient().flatten({ background: grey(padValue) });
}

async function toRgb(image: Sharp): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await image.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`sharp produced ${info.channels} channels instead of 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * Whether shrink-on-load changes anything for this image: sharp scales a JPEG in its DCT only
 * when the whole shrink is at least 3x (factor 2 from 3x, 4 from 5x, 8 from 9x; it backs off a
 * factor when the shrink is within 1 of it). Below that the cv2-exact route is kept: the option
 * would cost fidelity and save nothing.
 */
export function shrinkOnLoadApplies(format: string | undefined, source: Size, resized: Size): boolean {
  return format === 'jpeg' && Math.min(source.width / resized.width, source.height / resized.height) >= 3;
}

/**
 * Letterboxed HWC RGB of `plan.target` size; `resizer` (one per thread) runs the cv2-linear mode.
 * `shrinkOnLoad` (decided by the caller with `shrinkOnLoadApplies`) takes the libvips route.
 */
export async function runLetterbox(
  bytes: Uint8Array, plan: LetterboxPlan, mode: ResizeMode, limitInputPixels: number, resizer: LinearResizer, shrinkOnLoad = false,
): Promise<Uint8Array> {
  const base = oriented(bytes, limitInputPixels, plan.padValue);
  if (mode === 'cv2-linear' && !shrinkOnLoad) {
    const full = await toRgb(base);
    return letterboxLinear({ ...full, channels: 3 }, plan, resizer);
  }
  const { pad, resized } = plan;
  // fastShrinkOnLoad false still lets libvips shrink a JPEG in its DCT when that leaves a 2x
  // resample; true lets it shrink as far as it can (the whole point of the option).
  const image = base
    .resize(resized.width, resized.height, { kernel: mode === 'cv2-linear' ? 'linear' : mode, fit: 'fill', fastShrinkOnLoad: shrinkOnLoad })
    .extend({ top: pad.top, bottom: pad.bottom, left: pad.left, right: pad.right, background: grey(plan.padValue) });
  return (await toRgb(image)).data;
}

/** What a decoder executes: a detector's letterbox or a classifier's crop (`kind: 'crop'`). */
export type ImagePlan = LetterboxPlan | CropPlan;

export const isCropPlan = (plan: ImagePlan): plan is CropPlan => (plan as { kind?: string }).kind === 'crop';

/**
 * A classifier's input of `plan.target` size: the same decode, then the same cv2-exact resize
 * (or sharp kernel) to `plan.resized`, then core's crop window with the pad grey around it.
 */
export async function runCrop(bytes: Uint8Array, plan: CropPlan, mode: ResizeMode, limitInputPixels: number, resizer: LinearResizer): Promise<Uint8Array> {
  const base = oriented(bytes, limitInputPixels, plan.padValue);
  if (mode === 'cv2-linear') return cropLinear({ ...(await toRgb(base)), channels: 3 }, plan, resizer);
  const { width, height } = plan.resized;
  const resized = await toRgb(base.resize(width, height, { kernel: mode, fit: 'fill', fastShrinkOnLoad: false }));
  return cropWindow({ ...resized, channels: 3 }, plan);
}

/** Runs either plan; shrink-on-load is a letterbox route only (a classifier's crop stays exact). */
export function runPlan(bytes: Uint8Array, plan: ImagePlan, mode: ResizeMode, limitInputPixels: number, resizer: LinearResizer, shrinkOnLoad = false): Promise<Uint8Array> {
  return isCropPlan(plan) ? runCrop(bytes, plan, mode, limitInputPixels, resizer) : runLetterbox(bytes, plan, mode, limitInputPixels, resizer, shrinkOnLoad);
}

/** Full-size oriented RGB, no resize (fidelity measurements and rendering). */
export async function decodeFullRgb(bytes: Uint8Array, limitInputPixels: number): Promise<{ data: Uint8Array; width: number; height: number }> {
  return toRgb(oriented(bytes, limitInputPixels, 0));
}
