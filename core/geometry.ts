/**
 * @module core/geometry
 * How a source image becomes a model input, as a plan: plain numbers that core computes (pure
 * geometry) and an image decoder executes (resize to `resized`, then pad or crop to `target`).
 *
 * - `planLetterbox`: a detector's input, the geometry of Ultralytics' LetterBox
 *   (ultralytics/data/augment.py) with its exact rounding, so a decoder that executes the plan
 *   feeds the model the same pixels the reference pipeline does.
 * - `planCrop`: a classifier's input, torchvision's `Resize(N)` + `CenterCrop(size)` (or DALI's
 *   `resize(mode="not_larger")` + crop).
 *
 * One plan object maps pixels in and boxes out: `toSourceBoxes` takes the very LetterboxPlan
 * that produced the input (where Ultralytics' scale_boxes works gain and pad out again), so
 * preprocessing and postprocessing can never disagree. Python rounds ties to even, and so does
 * every rounding here (`roundHalfEven`). A plan is made per image, from the image's own size
 * (user input: a 10000x1 image cannot keep a pixel per side) and the manifest's options, and both
 * are checked there; a plan is trusted everywhere after.
 */
import { expectInteger, expectOneOf, invalidParameterError } from './errors.js';

export interface Size {
  readonly width: number;
  readonly height: number;
}

// The letterbox.

export interface LetterboxOptions {
  /** Model input size. @default {width: 640, height: 640} */
  readonly size: Size;
  /** Padding multiple used by `auto`. @default 32 */
  readonly stride: number;
  /** Allow enlarging images smaller than `size`. @default true */
  readonly scaleUp: boolean;
  /** Minimum rectangle: pad only up to the next multiple of `stride`. @default false */
  readonly auto: boolean;
  /** Centre the image (true) or place it top-left (false). @default true */
  readonly center: boolean;
  /** Grey level of the padding, 0..255. @default 114 */
  readonly padValue: number;
}

export interface Padding {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export interface LetterboxPlan {
  readonly source: Size;
  /** Size after resizing, before padding. */
  readonly resized: Size;
  /** Size of the padded model input: resized + padding. */
  readonly target: Size;
  /** Resize gain applied to both axes (Ultralytics' `r`). */
  readonly scale: number;
  readonly pad: Padding;
  readonly padValue: number;
}

/**
 * Ultralytics' predict-time LetterBox settings: 640x640, centred, grey 114 padding, and `auto`
 * off because exported ONNX models take a fixed input size.
 */
export const DEFAULT_LETTERBOX: LetterboxOptions = Object.freeze({
  size: Object.freeze({ width: 640, height: 640 }),
  stride: 32,
  scaleUp: true,
  auto: false,
  center: true,
  padValue: 114,
});

/** Options are merged over DEFAULT_LETTERBOX and checked, with the source size, on every call. */
export function planLetterbox(source: Size, options?: Partial<LetterboxOptions>): LetterboxPlan {
  const src = sourceSize(source);
  const o = options === undefined ? resolveLetterboxOptions() : onceFor(options, resolvedLetterbox, resolveLetterboxOptions);
  let r = Math.min(o.size.height / src.height, o.size.width / src.width);
  if (!o.scaleUp) r = Math.min(r, 1);
  const resized = { width: roundHalfEven(src.width * r), height: roundHalfEven(src.height * r) };
  if (resized.width < 1 || resized.height < 1) {
    // Ultralytics would hand cv2.resize a zero side and crash; say why instead.
    throw invalidParameterError('source', `size that keeps 1 pixel per side at ${o.size.width}x${o.size.height}`, `${src.width}x${src.height}`);
  }
  let dw = o.size.width - resized.width;
  let dh = o.size.height - resized.height;
  if (o.auto) {
    dw %= o.stride;
    dh %= o.stride;
  }
  if (o.center) {
    dw /= 2;
    dh /= 2;
  }
  // The +-0.1 puts the odd pixel of an odd padding on the bottom/right, as Ultralytics does.
  const pad = {
    left: o.center ? roundHalfEven(dw - 0.1) : 0,
    top: o.center ? roundHalfEven(dh - 0.1) : 0,
    right: roundHalfEven(dw + 0.1),
    bottom: roundHalfEven(dh + 0.1),
  };
  const target = { width: resized.width + pad.left + pad.right, height: resized.height + pad.top + pad.bottom };
  return { source: src, resized, target, scale: r, pad, padValue: o.padValue };
}

/**
 * Model-input (letterboxed) xyxy -> source-image xyxy, clipped to the image unless `clip` is
 * false (Ultralytics' scale_boxes + clip_boxes). Returns a new array: decoded outputs may be views
 * into an engine buffer that other items still read. Runs per detected image and trusts its
 * arguments: `boxes` holds at least `count` boxes (core/postprocess passes the kept ones).
 */
export function toSourceBoxes(boxes: Float32Array, count: number, plan: LetterboxPlan, clip = true): Float32Array {
  const out = new Float32Array(count * 4);
  const { left, top } = plan.pad;
  const { width, height } = plan.source;
  for (let i = 0; i < count * 4; i += 4) {
    let x1 = (boxes[i]! - left) / plan.scale;
    let y1 = (boxes[i + 1]! - top) / plan.scale;
    let x2 = (boxes[i + 2]! - left) / plan.scale;
    let y2 = (boxes[i + 3]! - top) / plan.scale;
    if (clip) {
      x1 = Math.min(Math.max(x1, 0), width);
      y1 = Math.min(Math.max(y1, 0), height);
      x2 = Math.min(Math.max(x2, 0), width);
      y2 = Math.min(Math.max(y2, 0), height);
    }
    out[i] = x1;
    out[i + 1] = y1;
    out[i + 2] = x2;
    out[i + 3] = y2;
  }
  return out;
}

// The centre crop. Where the resized image is smaller than the crop on an axis it is centred
// and padded, as torchvision's CenterCrop pads. The plan carries `kind: 'crop'` and the same
// basic fields as LetterboxPlan (source, target, scale, padValue), so code that shows or runs
// plans can take either.

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

/** The decoder resizes the source to `resized`, takes the `crop` window and pads it to `target`. */
export function planCrop(source: Size, options: CropOptions): CropPlan {
  const src = sourceSize(source);
  const { size, mode, n, padValue } = onceFor(options, resolvedCrop, resolveCropOptions);
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

// Checks of what a plan is made from.

/** Largest side accepted anywhere: far above any model input, small enough to stay exact. */
const MAX_SIDE = 1 << 16;

/**
 * Options are checked once per options object: a service plans every image with the same frozen
 * one, so its per-image cost is a lookup. (An options object must not be mutated after its first
 * plan; the service's never are.)
 */
function onceFor<O extends object, R>(options: O, cache: WeakMap<object, R>, resolve: (o: O) => R): R {
  let r = cache.get(options);
  if (r === undefined) cache.set(options, (r = resolve(options)));
  return r;
}
const resolvedLetterbox = new WeakMap<object, LetterboxOptions>();
const resolvedCrop = new WeakMap<object, { size: Size; mode: CropResizeMode; n: number; padValue: number }>();

function resolveCropOptions(options: CropOptions) {
  const size = expectSize('size', options.size);
  const mode = expectOneOf('resize', options.resize, CROP_RESIZE_MODES);
  const n = expectInteger('resizeTo', options.resizeTo ?? Math.min(size.width, size.height), 1, MAX_SIDE);
  const padValue = expectInteger('padValue', options.padValue, 0, 255);
  return { size, mode, n, padValue };
}

/** An image's own size, checked on every plan (it is the image's, not the service's), without allocating on the way. */
function sourceSize(source: Size): Size {
  const ok = typeof source === 'object' && source !== null && Number.isInteger(source.width) && Number.isInteger(source.height) &&
    source.width >= 1 && source.height >= 1 && source.width <= MAX_SIDE && source.height <= MAX_SIDE;
  return ok ? source : expectSize('source', source);
}

function expectSize(name: string, size: unknown): Size {
  if (typeof size !== 'object' || size === null) throw invalidParameterError(name, 'object {width, height}', size);
  const s = size as Partial<Size>;
  return {
    width: expectInteger(`${name}.width`, s.width, 1, MAX_SIDE),
    height: expectInteger(`${name}.height`, s.height, 1, MAX_SIDE),
  };
}

function expectBoolean(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalidParameterError(name, 'boolean', v);
  return v;
}

function resolveLetterboxOptions(options: Partial<LetterboxOptions> = {}): LetterboxOptions {
  const o = { ...DEFAULT_LETTERBOX, ...options };
  return {
    size: expectSize('size', o.size),
    stride: expectInteger('stride', o.stride, 1, MAX_SIDE),
    scaleUp: expectBoolean('scaleUp', o.scaleUp),
    auto: expectBoolean('auto', o.auto),
    center: expectBoolean('center', o.center),
    padValue: expectInteger('padValue', o.padValue, 0, 255),
  };
}

// Rounding and printing numbers.

/**
 * Python 3's `round(x)`: ties go to the even integer. Ultralytics' LetterBox and scale_boxes
 * round with it, and `Math.round` (ties up) gives a different pixel for every exact .5, e.g.
 * round(2.5) is 2 in Python and 3 in JS; matching it keeps our pads identical to the reference.
 */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const floor = Math.floor(x);
  // Exact for every double: subtracting the floor never rounds.
  const frac = x - floor;
  if (frac > 0.5) return floor + 1;
  if (frac < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** `x` to `digits` significant digits, without trailing zeros or exponent noise: 0.003922, 255, 0.118. */
export function significant(x: number, digits: number): string {
  return String(Number(x.toPrecision(digits)));
}
