/**
 * @module infra/image/pipeline
 * The ways a LetterboxPlan is executed, each one sharp pipeline from encoded bytes:
 * - cv2-linear: orient -> flatten -> sRGB 8-bit full-size raw, then core's bit-exact OpenCV
 *   INTER_LINEAR resize writes straight into the padded buffer;
 * - a sharp kernel: orient -> flatten -> resize -> extend with the pad grey -> sRGB 8-bit raw,
 *   all inside libvips;
 * - shrink-on-load (a manifest's `decode.shrinkOnLoad`, large JPEGs only): the sharp route with
 *   libvips' JPEG load scaled in the DCT (1/2, 1/4 or 1/8) and its linear kernel for the rest.
 * The full-size decode of a plain JPEG (readJpegHeader: 8-bit, 1 or 3 components, a clear EXIF orientation) is
 * libjpeg-turbo's own where `jpeg` is 'turbojpeg' (infra/image/turbojpeg.ts): the same pixels as
 * sharp's, at about half the CPU; every other input, and every JPEG under 'sharp', is sharp's.
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
import { readJpegHeader } from './jpeg-header.js';
import type { ResizeMode } from './options.js';
import { decodeJpegRgb, type JpegDecoder, type RgbImage } from './turbojpeg.js';

/** How a plan's pixels are made; the same for every image of a decoder. */
export interface PixelRoute {
  readonly mode: ResizeMode;
  readonly limitInputPixels: number;
  /** JPEG shrink-on-load (the caller has checked it applies: `shrinkOnLoadApplies`). */
  readonly shrinkOnLoad: boolean;
  /** Who decodes a plain JPEG at full size. */
  readonly jpeg: JpegDecoder;
}

function grey(v: number): { r: number; g: number; b: number } {
  return { r: v, g: v, b: v };
}

function oriented(bytes: Uint8Array, limitInputPixels: number, padValue: number): Sharp {
  return sharp(bytes, { limitInputPixels, ignoreIcc: true }).autoOrient().flatten({ background: grey(padValue) });
}

async function toRgb(image: Sharp): Promise<RgbImage> {
  const { data, info } = await image.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`sharp produced ${info.channels} channels instead of 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * Full-size oriented RGB: libjpeg-turbo's for a plain JPEG under 'turbojpeg', else sharp's.
 * `scratch`: the caller reads it once and calls `release?.()` (the buffer is then reused).
 */
async function decodeFull(bytes: Uint8Array, limitInputPixels: number, padValue: number, jpeg: JpegDecoder, scratch = false): Promise<RgbImage> {
  const header = jpeg === 'turbojpeg' ? readJpegHeader(bytes) : undefined;
  const direct = header ? await decodeJpegRgb(bytes, limitInputPixels, scratch, header.orientation) : undefined;
  return direct ?? toRgb(oriented(bytes, limitInputPixels, padValue));
}

/** Runs `use` on a scratch full-size decode, then hands its buffer back. */
async function withFullDecode<T>(bytes: Uint8Array, limitInputPixels: number, padValue: number, jpeg: JpegDecoder, use: (full: RgbImage) => T): Promise<T> {
  const full = await decodeFull(bytes, limitInputPixels, padValue, jpeg, true);
  try {
    return use(full);
  } finally {
    full.release?.();
  }
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
 * `route.shrinkOnLoad` takes the libvips route. `into`: a spent pixel buffer the cv2-linear
 * route writes into when its length fits (the libvips routes return libvips' own memory).
 */
export async function runLetterbox(bytes: Uint8Array, plan: LetterboxPlan, route: PixelRoute, resizer: LinearResizer, into?: Uint8Array): Promise<Uint8Array> {
  const { mode, limitInputPixels, shrinkOnLoad } = route;
  if (mode === 'cv2-linear' && !shrinkOnLoad) {
    return withFullDecode(bytes, limitInputPixels, plan.padValue, route.jpeg, (full) => letterboxLinear({ ...full, channels: 3 }, plan, resizer, into));
  }
  const { pad, resized } = plan;
  // fastShrinkOnLoad false still lets libvips shrink a JPEG in its DCT when that leaves a 2x
  // resample; true lets it shrink as far as it can (the whole point of the option).
  const image = oriented(bytes, limitInputPixels, plan.padValue)
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
export async function runCrop(bytes: Uint8Array, plan: CropPlan, route: PixelRoute, resizer: LinearResizer, into?: Uint8Array): Promise<Uint8Array> {
  const { mode, limitInputPixels } = route;
  if (mode === 'cv2-linear') return withFullDecode(bytes, limitInputPixels, plan.padValue, route.jpeg, (full) => cropLinear({ ...full, channels: 3 }, plan, resizer, into));
  const { width, height } = plan.resized;
  const resized = await toRgb(oriented(bytes, limitInputPixels, plan.padValue).resize(width, height, { kernel: mode, fit: 'fill', fastShrinkOnLoad: false }));
  return cropWindow({ ...resized, channels: 3 }, plan, into);
}

/** Runs either plan (`into` as for runLetterbox); shrink-on-load is a letterbox route only (a classifier's crop stays exact). */
export function runPlan(bytes: Uint8Array, plan: ImagePlan, route: PixelRoute, resizer: LinearResizer, into?: Uint8Array): Promise<Uint8Array> {
  return isCropPlan(plan) ? runCrop(bytes, plan, route, resizer, into) : runLetterbox(bytes, plan, route, resizer, into);
}

/** Full-size oriented RGB, no resize (fidelity measurements, rendering, the decode bench). */
export function decodeFullRgb(bytes: Uint8Array, limitInputPixels: number, jpeg: JpegDecoder): Promise<RgbImage> {
  return decodeFull(bytes, limitInputPixels, 0, jpeg);
}
