/**
 * @module core/nms/nms
 * Greedy non-maximum suppression with torchvision.ops.nms semantics: visit candidates by
 * score (ties by index), keep a box unless a kept box of the same class (any class when
 * agnostic) overlaps it with IoU > `iou`. Checking only against KEPT boxes is the same greedy
 * result as "suppress every later box" (suppressed boxes never suppress), and it lets the
 * loop stop as soon as `maxDet` boxes are kept. Class-aware grouping gives the same result as
 * Ultralytics' class*7680 coordinate offset, without its limit on box size.
 */
import type { Candidates } from '../decode/index.js';
import { classSlots } from './class-slots.js';
import { sortByScore } from './sort-by-score.js';

export interface NmsOptions {
  /** Suppress when IoU is strictly above this. */
  readonly iou: number;
  /** Most boxes kept. */
  readonly maxDet: number;
  /** Boxes of different classes suppress each other too. */
  readonly agnostic: boolean;
  /** Only the `maxNms` highest-scoring candidates enter NMS. */
  readonly maxNms: number;
}

/** Indices into `c` of the kept candidates, highest score first. */
export function nms(c: Candidates, opts: NmsOptions): Int32Array {
  const order = sortByScore(c.scores, c.count, opts.maxNms);
  const limit = Math.min(opts.maxDet, order.length);
  const kept = new Int32Array(limit);
  if (limit === 0) return kept;
  const { slotOf, slotCount } = classSlots(c.classIds, order, opts.agnostic);
  // Kept boxes as x1 y1 x2 y2 area, chained per class slot: head[slot] -> prev[k] -> ... -1.
  const geo = new Float64Array(limit * 5);
  const prev = new Int32Array(limit);
  const head = new Int32Array(slotCount).fill(-1);
  const boxes = c.boxes;
  const thr = opts.iou;
  let k = 0;
  for (let r = 0; r < order.length && k < limit; r++) {
    const i = order[r]!;
    const x1 = boxes[4 * i]!, y1 = boxes[4 * i + 1]!, x2 = boxes[4 * i + 2]!, y2 = boxes[4 * i + 3]!;
    const area = (x2 - x1) * (y2 - y1);
    const slot = slotOf(r);
    let suppressed = false;
    for (let j = head[slot]!; j >= 0; j = prev[j]!) {
      const g = 5 * j;
      const iw = Math.min(x2, geo[g + 2]!) - Math.max(x1, geo[g]!);
      if (iw <= 0) continue;
      const ih = Math.min(y2, geo[g + 3]!) - Math.max(y1, geo[g + 1]!);
      if (ih <= 0) continue;
      const inter = iw * ih;
      if (inter / (geo[g + 4]! + area - inter) > thr) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    const g = 5 * k;
    geo[g] = x1;
    geo[g + 1] = y1;
    geo[g + 2] = x2;
    geo[g + 3] = y2;
    geo[g + 4] = area;
    prev[k] = head[slot]!;
    head[slot] = k;
    kept[k++] = i;
  }
  return k === limit ? kept : kept.slice(0, k);
}
