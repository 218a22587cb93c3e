/**
 * @module core/metrics/box-iou
 * Pairwise IoU of two xyxy box lists, as Ultralytics' metrics.box_iou computes it (eps 1e-7 in
 * the denominator), so matches at a threshold's edge fall the same way.
 */
import type { BoxXYXY } from '../types.js';

const IOU_EPS = 1e-7;

/** IoU matrix, row-major [a.length][b.length]. */
export function boxIouMatrix(a: readonly BoxXYXY[], b: readonly BoxXYXY[]): Float64Array {
  const out = new Float64Array(a.length * b.length);
  for (let i = 0; i < a.length; i++) {
    const [ax1, ay1, ax2, ay2] = a[i];
    const areaA = (ax2 - ax1) * (ay2 - ay1);
    for (let j = 0; j < b.length; j++) {
      const [bx1, by1, bx2, by2] = b[j];
      const w = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1));
      const h = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
      const inter = w * h;
      out[i * b.length + j] = inter / (areaA + (bx2 - bx1) * (by2 - by1) - inter + IOU_EPS);
    }
  }
  return out;
}

/** IoU of one pair. */
export function boxIou(a: BoxXYXY, b: BoxXYXY): number {
  return boxIouMatrix([a], [b])[0];
}
