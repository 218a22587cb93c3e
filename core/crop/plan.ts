/**
 * @module core/crop/plan
 * `planCrop`: the geometry of a classifier's preprocessing, torchvision's
 * `Resize(N)` + `CenterCrop(size)` (or DALI's `resize(mode="not_larger")` + crop), as a plan
 * like the letterbox: core computes it (pure), an image decoder executes it (resize the source
 * to `resized`, take the `crop` window, pad it to `target`). Where the resized image is smaller
 * than the crop on an axis it is centred and padded, as torchvision's CenterCrop pads.
 * The plan carries `kind: 'crop'` and the same basic fields as LetterboxPlan (source, target,
 * scale, padValue) so code that shows or runs plans can take either.
 */
import { roundHalfEven } from '../math/index.js';
import { expectSize } from '../letterbox/options.js';
import { expectInteger, expectOneOf, invalidParameterError } from '../validate/index.js';
import type { Padding } from '../letterbox/types.js';
import type { Size } from '../types.js';

export const CROP_RESIZE_MODES = ['shorter', 'not_larger'] as const;
/**
 * 'shorter': the shorter side becomes `resizeTo`, the longer keeps the aspect ratio, truncated
 * as torchvision's Resize(int) does. 'not_larger': the image fits inside resizeTo x resizeTo,
 * aspect kept, rounded as DALI does.
 */
export type CropResizeMode = (typeof CROP_RESIZE_MODES)[number];

export interface CropOptions {
  /** Model input size (the crop). */
  readonly size: Size;
  /** @default 'shorter' */
  readonly resize: CropResizeMode;
  /** Side the resize aims at. @default the input's shorter side (no crop on that side) */
  readonly resizeTo?: number;
  /** Grey level where the resized image is smaller than the crop, 0..255. @default 0 (torchvision's fill) */
  readonly padValue: number;
}

/** The window of the resized image that is kept, in resized-image pixels. */
export interface CropWindow {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface CropPlan {
  readonly kind: 'crop';
  readonly source: Size;
  /** Size after resizing, before cropping. */
  readonly resized: Size;
  /** Model input size: the crop window plus padding. */
  readonly target: Size;
  /** Nominal resize gain (resizeTo / the side it applies to); the exact sizes are in `resized`. */
  readonly scale: number;
  readonly crop: CropWindow;
  /** Padding around the window inside `target` (all 0 when the resized image covers the crop). */
  readonly pad: Padding;
  readonly padValue: number;
}

function resizedSize(src: Size, mode: CropResizeMode, n: number): { resized: Size; scale: number } {
  if (mode === 'shorter') {
    const wide = src.width > src.height;
    const short = wide ? src.height : src.width;
    const long = Math.trunc((n * (wide ? src.width : src.height)) / short);
    return { resized: wide ? { width: long, height: n } : { width: n, height: long }, scale: n / short };
  }
  const scale = Math.min(n / src.width, n / src.height);
  return { resized: { width: Math.round(src.width * scale), height: Math.round(src.height * scale) }, scale };
}

/** One axis of torchvision's CenterCrop: window start and length, pad before and after. */
function axis(have: number, want: number): { start: number; length: number; before: number; after: number } {
  if (have >= want) return { start: roundHalfEven((have - want) / 2), length: want, before: 0, after: 0 };
  return { start: 0, length: have, before: Math.floor((want - have) / 2), after: Math.floor((want - have + 1) / 2) };
}

export function planCrop(source: Size, options: CropOptions): CropPlan {
  const src = expectSize('source', source);
  const size = expectSize('size', options.size);
  const mode = expectOneOf('resize', options.resize, CROP_RESIZE_MODES);
  const n = expectInteger('resizeTo', options.resizeTo ?? Math.min(size.width, size.height), 1, 1 << 16);
  const padValue = expectInteger('padValue', options.padValue, 0, 255);
  const { resized, scale } = resizedSize(src, mode, n);
  if (resized.width < 1 || resized.height < 1) {
    throw invalidParameterError('source', `size that keeps 1 pixel per side when resized to ${n}`, `${src.width}x${src.height}`);
  }
  const x = axis(resized.width, size.width);
  const y = axis(resized.height, size.height);
  return {
    kind: 'crop',
    source: src,
    resized,
    target: size,
    scale,
    crop: { left: x.start, top: y.start, width: x.length, height: y.length },
    pad: { left: x.before, top: y.before, right: x.after, bottom: y.after },
    padValue,
  };
}
