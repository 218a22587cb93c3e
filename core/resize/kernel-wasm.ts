/**
 * @module core/resize/kernel-wasm
 * Drives the WebAssembly SIMD passes (scripts/build-resize-wasm.mjs) for 3-channel images with
 * the same row cache as the JS reference: each needed source row is copied into WASM memory and
 * run through the horizontal pass once, kept as the upper or lower neighbour, and each output
 * row is one vertical pass copied out. Memory holds a few rows and the x tables, never a whole
 * image, and grows only when a wider image arrives.
 */
import type { Raster, Region } from './linear.js';
import { axisTable } from './tables.js';
import { RESIZE_WASM } from './wasm-bytes.js';
import { instantiateSimd, reserveScratch, up16 } from '../wasm/index.js';

export interface WasmResizeKernel {
  /** Same contract as resizeLinearInto, for `src.channels === 3` only. */
  resizeInto(src: Raster, dst: Raster, region: Region): void;
}

/** undefined where WebAssembly or its SIMD proposal is unavailable. */
export function createWasmResizeKernel(): WasmResizeKernel | undefined {
  const instance = instantiateSimd(RESIZE_WASM);
  if (!instance) return undefined;
  const { exports, memory } = instance;
  const hrow = exports.hrow as (src: number, n: number, xofs: number, xw: number, out: number) => void;
  const vrow = exports.vrow as (r0: number, r1: number, b0: number, b1: number, n16: number, out: number) => void;

  return {
    resizeInto(src, dst, region) {
      const dw = region.width, rowLen = dw * 3, padded = up16(rowLen);
      // x offsets (at 0) | x weights (i16x8 per x) | 2 int32 rows (+16 slack) | output row | source row (+16 slack).
      const sizes = [dw * 4, dw * 16, padded * 4 + 16, padded * 4 + 16, padded, src.width * 3 + 16];
      const [, XW, R0, R1, OUT, SRC] = reserveScratch(memory, sizes);
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
