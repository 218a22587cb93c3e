/**
 * @module core/resize/tables
 * Per-axis sample tables for OpenCV's fixed-point INTER_LINEAR (resize.cpp, resizeGeneric):
 * half-pixel centres computed in double then stored as float, weights as 11-bit integers
 * (INTER_RESIZE_COEF_SCALE 2048) rounded half-to-even like cvRound. Every step copies cv2's
 * arithmetic, float32 roundings included, because the goal is bit-identical output.
 */

import { roundHalfEven } from '../math/index.js';

export const COEF_BITS = 11;
export const COEF_SCALE = 1 << COEF_BITS;

export interface AxisTable {
  /** First source index of each destination index. */
  readonly index0: Int32Array;
  /** Second source index (already clamped: cv2 reads it with weight 0 at the edges). */
  readonly index1: Int32Array;
  readonly weight0: Int32Array;
  readonly weight1: Int32Array;
}

/** cvRound (round half to even, the SSE conversion cv2 uses) saturated to int16. */
function coefficient(v: number): number {
  return Math.max(-32768, Math.min(32767, roundHalfEven(v)));
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
