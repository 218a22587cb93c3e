/**
 * @module scripts/gpu-check/compare
 * Holds one provider's outputs to another's for the same feeds: the raw tensors (max and mean
 * absolute difference) and the detections after the project's own decode + NMS. A GPU sums
 * in another order, so boxes are matched, not compared bit for bit: same class, IoU >= 0.9.
 */
import { yolov8Decoder } from '../../core/decode.js';
import type { LetterboxPlan } from '../../core/geometry.js';
import { boxIou } from '../../core/map.js';
import { DEFAULT_DETECT_OPTIONS } from '../../core/options.js';
import { postprocessItem } from '../../core/postprocess.js';
import type { Detection, TensorMap } from '../../core/types.js';

/** IoU at which two boxes of one class count as the same detection. */
export const SAME_BOX_IOU = 0.9;

export interface TensorDiff {
  readonly output: string;
  readonly maxAbsDiff: number;
  readonly meanAbsDiff: number;
  /** Largest |value| in the reference, to read the difference against. */
  readonly maxAbsReference: number;
}

export interface BoxComparison {
  readonly referenceCount: number;
  readonly candidateCount: number;
  readonly matched: number;
  readonly same: boolean;
  readonly maxScoreDiff: number;
  readonly minIou: number;
}

export function tensorDiffs(reference: TensorMap, candidate: TensorMap): TensorDiff[] {
  return Object.entries(reference).map(([output, ref]) => {
    const a = ref.data as Float32Array;
    const b = candidate[output]?.data as Float32Array | undefined;
    if (!b || b.length !== a.length) throw new Error(`output ${output}: candidate has ${b?.length ?? 'no'} values, reference ${a.length}`);
    let max = 0;
    let sum = 0;
    let refMax = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      sum += d;
      if (d > max) max = d;
      if (Math.abs(a[i]!) > refMax) refMax = Math.abs(a[i]!);
    }
    return { output, maxAbsDiff: max, meanAbsDiff: sum / a.length, maxAbsReference: refMax };
  });
}

/** Detections of every batch item, item i letterboxed with plans[i % plans.length]. */
export function detectionsPerItem(outputs: TensorMap, batch: number, plans: readonly LetterboxPlan[]): Detection[][] {
  const ctx = { decoder: yolov8Decoder, labels: [], options: DEFAULT_DETECT_OPTIONS };
  return Array.from({ length: batch }, (_, i) => postprocessItem(outputs, i, plans[i % plans.length]!, ctx));
}

export function compareBoxes(reference: readonly Detection[], candidate: readonly Detection[]): BoxComparison {
  const used = new Set<number>();
  let maxScoreDiff = 0;
  let minIou = 1;
  for (const r of reference) {
    let best = -1;
    let bestIou = SAME_BOX_IOU;
    candidate.forEach((c, j) => {
      const iou = c.classId === r.classId && !used.has(j) ? boxIou(r.box, c.box) : 0;
      if (iou >= bestIou) [best, bestIou] = [j, iou];
    });
    if (best < 0) continue;
    used.add(best);
    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(r.score - candidate[best]!.score));
    minIou = Math.min(minIou, bestIou);
  }
  const same = used.size === reference.length && candidate.length === reference.length;
  return { referenceCount: reference.length, candidateCount: candidate.length, matched: used.size, same, maxScoreDiff, minIou };
}
