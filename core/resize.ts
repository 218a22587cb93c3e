/**
 * @module core/resize
 * Executes a geometry plan (core/geometry) on decoded pixels with a resize bit-exact with
 * OpenCV's `cv2.resize(..., INTER_LINEAR)` for 8-bit interleaved images: the resize the reference
 * (Ultralytics) pipeline trains and validates with, so our model input is the reference's, byte
 * for byte.
 *
 * Every step copies cv2's arithmetic (resize.cpp, resizeGeneric), float32 roundings included:
 * half-pixel centres computed in double then stored as float, weights as 11-bit fixed point
 * (INTER_RESIZE_COEF_SCALE 2048) rounded half-to-even like cvRound, a horizontal pass into int32
 * rows, then a vertical blend with cv2's SIMD rounding.
 *
 * Two routes give the same bytes (tested): `resizeLinearInto`, the plain-JS reference, and a
 * WebAssembly SIMD kernel (scripts/build-resize-wasm.mjs) for 3-channel images. A
 * `LinearResizer` owns one kernel instance and picks the route; hold one per thread.
 */
import { type CropPlan, type LetterboxPlan, roundHalfEven } from './geometry.js';
import { RESIZE_WASM } from './wasm-bytes.js';
import { instantiateSimd, type KernelRoute, pickWasmKernel, reserveScratch, up16 } from './wasm.js';

/** An interleaved (HWC) 8-bit image. */
export interface Raster {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** Where in the destination raster the resized image goes. */
export interface Region {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

// Executing plans. Each returns an HWC buffer of `plan.target` size: the caller's spent buffer
// `into` when it has exactly that length (a recycled one: no allocation, no fresh pages to fault
// in), else a new one; either way filled with the pad grey first, so nothing of its last image
// survives. Pass the thread's `resizer` for the WASM route; without one the JS reference runs.

/**
 * The letterbox the way the reference pipeline runs it: fill the target with the pad grey, then
 * resize the source straight into its slot (no intermediate resized buffer). Like Ultralytics, an
 * image already at the resized size is copied, not resampled.
 */
export function letterboxLinear(src: Raster, plan: LetterboxPlan, resizer?: LinearResizer, into?: Uint8Array): Uint8Array {
  const cn = src.channels;
  const { target, resized, pad } = plan;
  const out = paddedTarget(target.width * target.height * cn, plan.padValue, into);
  const dst: Raster = { data: out, width: target.width, height: target.height, channels: cn };
  if (resized.width === src.width && resized.height === src.height) {
    const rowLen = src.width * cn;
    for (let y = 0; y < src.height; y++) {
      out.set(src.data.subarray(y * rowLen, (y + 1) * rowLen), ((pad.top + y) * target.width + pad.left) * cn);
    }
    return out;
  }
  const region = { left: pad.left, top: pad.top, width: resized.width, height: resized.height };
  if (resizer) resizer.resizeInto(src, dst, region);
  else resizeLinearInto(src, dst, region);
  return out;
}

/**
 * The centre crop: the whole source resized to `plan.resized` (the same kernel as the
 * letterbox), then the crop window copied into the target. The window may start anywhere, so
 * unlike the letterbox this goes through one intermediate buffer. A source already at the resized
 * size is not resampled.
 */
export function cropLinear(src: Raster, plan: CropPlan, resizer?: LinearResizer, into?: Uint8Array): Uint8Array {
  const { width, height } = plan.resized;
  if (src.width === width && src.height === height) return cropWindow(src, plan, into);
  const resized: Raster = { data: new Uint8Array(width * height * src.channels), width, height, channels: src.channels };
  const region = { left: 0, top: 0, width, height };
  if (resizer) resizer.resizeInto(src, resized, region);
  else resizeLinearInto(src, resized, region);
  return cropWindow(resized, plan, into);
}

/**
 * The plan's window of an image already at `plan.resized` size, padded to `plan.target`. Also
 * the last step where another resize (a sharp kernel) produced `resized`: a RangeError if its
 * size is not the plan's.
 */
export function cropWindow(resized: Raster, plan: CropPlan, into?: Uint8Array): Uint8Array {
  const cn = resized.channels;
  const { target, crop, pad } = plan;
  if (resized.width !== plan.resized.width || resized.height !== plan.resized.height) {
    throw new RangeError(`cropWindow: image is ${resized.width}x${resized.height}, plan resized ${plan.resized.width}x${plan.resized.height}`);
  }
  const out = paddedTarget(target.width * target.height * cn, plan.padValue, into);
  const rowLen = crop.width * cn;
  for (let y = 0; y < crop.height; y++) {
    const from = ((crop.top + y) * resized.width + crop.left) * cn;
    out.set(resized.data.subarray(from, from + rowLen), ((pad.top + y) * target.width + pad.left) * cn);
  }
  return out;
}

/** `length` bytes of `padValue`: `into` itself when its length matches, else a new buffer. */
function paddedTarget(length: number, padValue: number, into?: Uint8Array): Uint8Array {
  const out = into instanceof Uint8Array && into.length === length ? into : new Uint8Array(length);
  return out.fill(padValue);
}

// The resizer: picks the route once and keeps its kernel (its WASM memory is reused between
// calls, never shared between threads).

export type ResizeRoute = KernelRoute;

export interface LinearResizer {
  /** The route 3-channel images take. */
  readonly route: ResizeRoute;
  /** Resize all of `src` into `region` of `dst` (same channel count), in place. */
  resizeInto(src: Raster, dst: Raster, region: Region): void;
}

export interface LinearResizerOptions {
  /** 'auto' picks wasm-simd where WebAssembly SIMD validates, else js. @default 'auto' */
  readonly route?: 'auto' | ResizeRoute;
}

/** 3-channel images take the WebAssembly SIMD route where it validates; anything else the JS reference. */
export function createLinearResizer(options: LinearResizerOptions = {}): LinearResizer {
  const wasm = pickWasmKernel(options.route, createWasmResizeKernel);
  return {
    route: wasm ? 'wasm-simd' : 'js',
    resizeInto(src, dst, region) {
      if (wasm && src.channels === 3 && dst.channels === 3) wasm.resizeInto(src, dst, region);
      else resizeLinearInto(src, dst, region);
    },
  };
}

// The JS reference.

/**
 * Resize all of `src` into `region` of `dst` (same channel count), writing in place. Two passes
 * as in cv2: a horizontal pass into int32 rows (value * 2048), then a vertical blend. The blend
 * copies cv2's SIMD kernel, ((S >> 4) * beta >> 16, summed, + 2 >> 2), not its scalar formula
 * ((S0*b0 + S1*b1 + 2^21) >> 22): the two round differently, and against OpenCV 4.6 (x86 build)
 * the SIMD one is what every byte of a row gets (bit-exact on 19 images; the scalar tail was off
 * by one on rows whose byte width is not a multiple of 4). An ARM build may differ. A factor of
 * exactly 2 makes cv2 switch to INTER_AREA; for 2x that gives the same numbers.
 */
export function resizeLinearInto(src: Raster, dst: Raster, region: Region): void {
  const cn = src.channels;
  const rowLen = region.width * cn;
  const xs = axisTable(src.width, region.width, true);
  const ys = axisTable(src.height, region.height, false);
  const xo0 = xs.index0.map((v) => v * cn), xo1 = xs.index1.map((v) => v * cn);
  const { weight0: a0, weight1: a1 } = xs;
  // Two cached horizontal rows; destination rows walk the source top to bottom, so a row
  // computed as the lower neighbour is reused as the upper one of the next destination row.
  let rows = [new Int32Array(rowLen), new Int32Array(rowLen)];
  let rowOf = [-1, -1];
  const fill = (out: Int32Array, sy: number): void => {
    const s = src.data;
    const base = sy * src.width * cn;
    for (let dx = 0, j = 0; dx < region.width; dx++, j += cn) {
      const i0 = base + xo0[dx]!, i1 = base + xo1[dx]!, w0 = a0[dx]!, w1 = a1[dx]!;
      for (let k = 0; k < cn; k++) out[j + k] = s[i0 + k]! * w0 + s[i1 + k]! * w1;
    }
  };
  const d = dst.data;
  for (let dy = 0; dy < region.height; dy++) {
    const sy0 = ys.index0[dy]!, sy1 = ys.index1[dy]!;
    if (rowOf[0] !== sy0 && rowOf[1] === sy0) (rows = [rows[1]!, rows[0]!]), (rowOf = [rowOf[1]!, rowOf[0]!]);
    if (rowOf[0] !== sy0) fill(rows[0]!, sy0), (rowOf[0] = sy0);
    if (rowOf[1] !== sy1) fill(rows[1]!, sy1), (rowOf[1] = sy1);
    const r0 = rows[0]!, r1 = rows[1]!;
    const b0 = ys.weight0[dy]!, b1 = ys.weight1[dy]!;
    const out = ((region.top + dy) * dst.width + region.left) * cn;
    for (let x = 0; x < rowLen; x++) {
      const v = ((((r0[x]! >> 4) * b0) >> 16) + (((r1[x]! >> 4) * b1) >> 16) + 2) >> 2;
      d[out + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

/** Fixed-point weight bits: cv2's INTER_RESIZE_COEF_BITS. */
export const COEF_BITS = 11;
export const COEF_SCALE = 1 << COEF_BITS;

/** Per-axis sample table: for each destination index, two source indices and their weights. */
export interface AxisTable {
  /** First source index of each destination index. */
  readonly index0: Int32Array;
  /** Second source index (already clamped: cv2 reads it with weight 0 at the edges). */
  readonly index1: Int32Array;
  readonly weight0: Int32Array;
  readonly weight1: Int32Array;
}

/**
 * `clampWeights`: cv2 resets the weight to (1, 0) at the x edges but keeps the raw weights on
 * y and only clamps the row indices; the difference is visible after fixed-point rounding.
 */
export function axisTable(srcLen: number, dstLen: number, clampWeights: boolean): AxisTable {
  const scale = 1 / (dstLen / srcLen);
  const index0 = new Int32Array(dstLen);
  const index1 = new Int32Array(dstLen);
  const weight0 = new Int32Array(dstLen);
  const weight1 = new Int32Array(dstLen);
  for (let d = 0; d < dstLen; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (clampWeights && s < 0) (f = 0), (s = 0);
    if (clampWeights && s >= srcLen - 1) (f = 0), (s = srcLen - 1);
    index0[d] = Math.min(Math.max(s, 0), srcLen - 1);
    index1[d] = Math.min(Math.max(s + 1, 0), srcLen - 1);
    weight0[d] = coefficient(Math.fround(Math.fround(1 - f) * COEF_SCALE));
    weight1[d] = coefficient(Math.fround(f * COEF_SCALE));
  }
  return { index0, index1, weight0, weight1 };
}

/** cvRound (round half to even, the SSE conversion cv2 uses) saturated to int16. */
function coefficient(v: number): number {
  return Math.max(-32768, Math.min(32767, roundHalfEven(v)));
}

// The WebAssembly SIMD route, with the same row cache as the JS reference: each needed source row
// is copied into WASM memory and run through the horizontal pass once, kept as the upper or lower
// neighbour, and each output row is one vertical pass copied out. Memory holds a few rows and the
// x tables, never a whole image, and grows only when a wider image arrives.

interface WasmResizeKernel {
  /** Same contract as resizeLinearInto, for `src.channels === 3` only. */
  resizeInto(src: Raster, dst: Raster, region: Region): void;
}

/** undefined where WebAssembly or its SIMD proposal is unavailable. */
function createWasmResizeKernel(): WasmResizeKernel | undefined {
  const instance = instantiateSimd(RESIZE_WASM);
  if (!instance) return undefined;
  const { exports, memory } = instance;
  const hrow = exports.hrow as (src: number, n: number, xofs: number, xw: number, out: number) => void;
  const vrow = exports.vrow as (r0: number, r1: number, b0: number, b1: number, n16: number, out: number) => void;

  // The scratch layout depends only on the widths; a service resizes the same sizes again and again.
  let layout: { key: number; padded: number; offsets: number[] } | undefined;
  const layoutFor = (dw: number, sw: number) => {
    const key = dw * 0x10000 + sw;
    if (layout?.key !== key) {
      const padded = up16(dw * 3);
      // x offsets (at 0) | x weights (i16x8 per x) | 2 int32 rows (+16 slack) | output row | source row (+16 slack).
      const sizes = [dw * 4, dw * 16, padded * 4 + 16, padded * 4 + 16, padded, sw * 3 + 16];
      layout = { key, padded, offsets: reserveScratch(memory, sizes) };
    }
    return layout;
  };

  return {
    resizeInto(src, dst, region) {
      const dw = region.width, rowLen = dw * 3;
      const { padded, offsets } = layoutFor(dw, src.width);
      const [, XW, R0, R1, OUT, SRC] = offsets as [number, number, number, number, number, number];
      const heap8 = new Uint8Array(memory.buffer), heap32 = new Int32Array(memory.buffer), heap16 = new Int16Array(memory.buffer);
      const xs = axisTable(src.width, dw, true), ys = axisTable(src.height, region.height, false);
      for (let x = 0; x < dw; x++) {
        heap32[x] = xs.index0[x]! * 3;
        const w0 = xs.weight0[x]!, w1 = xs.weight1[x]!, o = (XW >> 1) + x * 8;
        heap16[o] = heap16[o + 2] = heap16[o + 4] = w0;
        heap16[o + 1] = heap16[o + 3] = heap16[o + 5] = w1;
        heap16[o + 6] = heap16[o + 7] = 0;
      }
      const srcRow = src.width * 3;
      let rows = [R0, R1], rowOf = [-1, -1];
      const fill = (at: number, sy: number): void => {
        heap8.set(src.data.subarray(sy * srcRow, (sy + 1) * srcRow), SRC);
        hrow(SRC, dw, 0, XW, at);
      };
      for (let dy = 0; dy < region.height; dy++) {
        const sy0 = ys.index0[dy]!, sy1 = ys.index1[dy]!;
        if (rowOf[0] !== sy0 && rowOf[1] === sy0) (rows = [rows[1]!, rows[0]!]), (rowOf = [rowOf[1]!, rowOf[0]!]);
        if (rowOf[0] !== sy0) fill(rows[0]!, sy0), (rowOf[0] = sy0);
        if (rowOf[1] !== sy1) fill(rows[1]!, sy1), (rowOf[1] = sy1);
        vrow(rows[0]!, rows[1]!, ys.weight0[dy]!, ys.weight1[dy]!, padded >> 4, OUT);
        dst.data.set(heap8.subarray(OUT, OUT + rowLen), ((region.top + dy) * dst.width + region.left) * 3);
      }
    },
  };
}
