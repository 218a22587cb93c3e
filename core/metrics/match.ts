/**
 * @module core/metrics/match
 * Which predictions are true positives at each IoU threshold, exactly as Ultralytics'
 * BaseValidator.match_predictions (use_scipy=False) decides it. Its quirk is kept on purpose:
 * after sorting candidate pairs by IoU and keeping the best label per prediction, np.unique
 * re-sorts by prediction index, so a label goes to its LOWEST-INDEXED matching prediction (not
 * its best-IoU one). Copying that is what makes our mAP equal theirs to four decimals.
 */
import type { BoxXYXY } from '../types.js';
import { boxIouMatrix } from './box-iou.js';

/** torch.linspace(0.5, 0.95, 10) in float32, as the validator's iouv. */
export const IOU_THRESHOLDS: readonly number[] = Object.freeze(
  Array.from({ length: 10 }, (_, i) => Math.fround(0.5 + (0.45 * i) / 9)),
);

export interface LabeledBoxes {
  readonly boxes: readonly BoxXYXY[];
  readonly classes: readonly number[];
}

/**
 * Returns correct[p * thresholds.length + t]: prediction p is a true positive at threshold t.
 */
export function matchPredictions(
  preds: LabeledBoxes,
  labels: LabeledBoxes,
  thresholds: readonly number[] = IOU_THRESHOLDS,
): Uint8Array {
  const np = preds.boxes.length;
  const nl = labels.boxes.length;
  const correct = new Uint8Array(np * thresholds.length);
  if (np === 0 || nl === 0) return correct;
  const iou = boxIouMatrix(labels.boxes, preds.boxes);
  for (let l = 0; l < nl; l++) {
    for (let p = 0; p < np; p++) if (labels.classes[l] !== preds.classes[p]) iou[l * np + p] = 0;
  }
  thresholds.forEach((threshold, t) => {
    const pairs: [number, number, number][] = [];
    for (let l = 0; l < nl; l++) {
      for (let p = 0; p < np; p++) if (iou[l * np + p] >= threshold) pairs.push([l, p, iou[l * np + p]]);
    }
    // Best IoU first; numpy's argsort()[::-1] puts later pairs first among ties.
    const order = pairs.map((_, k) => k).sort((x, y) => pairs[y][2] - pairs[x][2] || y - x);
    const bestPerPred = new Map<number, number>();
    for (const k of order) if (!bestPerPred.has(pairs[k][1])) bestPerPred.set(pairs[k][1], pairs[k][0]);
    const predsByIndex = [...bestPerPred.keys()].sort((a, b) => a - b);
    const takenLabels = new Set<number>();
    for (const p of predsByIndex) {
      const l = bestPerPred.get(p) as number;
      if (takenLabels.has(l)) continue;
      takenLabels.add(l);
      correct[p * thresholds.length + t] = 1;
    }
  });
  return correct;
}
