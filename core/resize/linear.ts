/**
 * @module core/resize/linear
 * Bit-exact OpenCV `cv2.resize(..., INTER_LINEAR)` for 8-bit interleaved images, the resize
 * the reference (Ultralytics) pipeline trains and validates with. Two passes as in cv2: a
 * horizontal pass into int32 rows (value * 2048), then a vertical blend. The blend copies cv2's
 * SIMD kernel, ((S >> 4) * beta >> 16, summed, + 2 >> 2), not its scalar formula
 * ((S0*b0 + S1*b1 + 2^21) >> 22): the two round differently, and against OpenCV 4.6 (x86 build)
 * the SIMD one is what every byte of a row gets (bit-exact on 19 images; the scalar tail was
 * off by one on rows whose byte width is not a multiple of 4). An ARM build may differ.
 * A factor of exactly 2 makes cv2 switch to INTER_AREA; for 2x that gives the same numbers.
 */
import { axisTable } from './tables.js';

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

/** Resize all of `src` into `region` of `dst` (same channel count), writing in place. */
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
