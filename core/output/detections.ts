/**
 * @module core/output/detections
 * Kept candidates -> JSON-ready detections in source-image pixels. Boxes go back through the
 * same LetterboxPlan that letterboxed the input (core/letterbox toSourceBoxes: un-pad,
 * un-scale, clip to the image), so preprocessing and postprocessing cannot disagree.
 */
import type { Candidates } from '../decode/index.js';
import { toSourceBoxes, type LetterboxPlan } from '../letterbox/index.js';
import type { Detection } from '../types.js';

/** `kept` indexes `c`; the result is sorted by score, highest first (ties keep `kept` order). */
export function toDetections(
  c: Candidates,
  kept: Int32Array,
  plan: LetterboxPlan,
  labels: readonly string[],
): Detection[] {
  const n = kept.length;
  const picked = new Float32Array(n * 4);
  for (let k = 0; k < n; k++) picked.set(c.boxes.subarray(4 * kept[k]!, 4 * kept[k]! + 4), 4 * k);
  const boxes = toSourceBoxes(picked, n, plan);
  const out: Detection[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const id = c.classIds[kept[k]!]!;
    out[k] = {
      box: [boxes[4 * k]!, boxes[4 * k + 1]!, boxes[4 * k + 2]!, boxes[4 * k + 3]!],
      score: c.scores[kept[k]!]!,
      classId: id,
      label: labels[id] ?? `class${id}`,
    };
  }
  // NMS output is already in order; sorting (stable) keeps that promise for any `kept`.
  return out.sort((a, b) => b.score - a.score);
}
