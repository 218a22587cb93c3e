/**
 * @module core/map
 * mAP50 and mAP50-95 over a data set, computed the way Ultralytics' `yolo val` reports them, so
 * our numbers can be compared with theirs to four decimals.
 *
 * Per image, predictions are matched to same-class labels at ten IoU thresholds (0.50:0.05:0.95,
 * in float32 as torch.linspace makes them), exactly as BaseValidator.match_predictions decides it,
 * quirk included; then AP per class (the classes that occur in the labels) is averaged. AP is
 * metrics.compute_ap's: a precision envelope, then the trapezoid rule over a 101-point recall
 * grid (method 'interp', COCO style), with np.interp's behaviour on repeated recalls. IoU is
 * metrics.box_iou's, eps included, so matches at a threshold's edge fall the same way.
 */
import { DetectError } from './errors.js';
import type { BoxXYXY } from './types.js';
import type { Size } from './geometry.js';

// The data set's score. Images with labels but no predictions still count their labels.

export interface EvalPrediction {
  readonly box: BoxXYXY;
  readonly score: number;
  readonly classId: number;
}

export interface EvalLabel {
  readonly box: BoxXYXY;
  readonly classId: number;
}

/** One image: predictions and ground truth in the same pixel space. */
export interface EvalImage {
  readonly predictions: readonly EvalPrediction[];
  readonly labels: readonly EvalLabel[];
}

export interface MapResult {
  /** Mean AP at IoU 0.5 over the classes present in the labels. */
  readonly map50: number;
  /** Mean AP over IoU 0.50:0.05:0.95. */
  readonly map50_95: number;
  readonly perClass: readonly { classId: number; labels: number; ap50: number; ap50_95: number }[];
  readonly images: number;
  readonly labels: number;
  readonly predictions: number;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);

export function evaluateMap(images: readonly EvalImage[]): MapResult {
  const nt = IOU_THRESHOLDS.length;
  const tpParts: Uint8Array[] = [];
  const conf: number[] = [];
  const predClasses: number[] = [];
  const labelClasses: number[] = [];
  for (const img of images) {
    const preds = { boxes: img.predictions.map((p) => p.box), classes: img.predictions.map((p) => p.classId) };
    const labels = { boxes: img.labels.map((l) => l.box), classes: img.labels.map((l) => l.classId) };
    tpParts.push(matchPredictions(preds, labels, IOU_THRESHOLDS));
    for (const p of img.predictions) {
      conf.push(p.score);
      predClasses.push(p.classId);
    }
    labelClasses.push(...labels.classes);
  }
  const tp = new Uint8Array(conf.length * nt);
  let offset = 0;
  for (const part of tpParts) {
    tp.set(part, offset);
    offset += part.length;
  }
  const { classes, ap } = apPerClass(tp, conf, predClasses, labelClasses, nt);
  const perClass = classes.map((classId, i) => ({
    classId,
    labels: labelClasses.filter((c) => c === classId).length,
    ap50: ap[i][0],
    ap50_95: mean(ap[i]),
  }));
  return {
    map50: mean(perClass.map((c) => c.ap50)),
    map50_95: mean(perClass.map((c) => c.ap50_95)),
    perClass,
    images: images.length,
    labels: labelClasses.length,
    predictions: conf.length,
  };
}

// YOLO-format label files (`class cx cy w h` per line, normalized to 0..1), as pixel xyxy
// boxes for an image of the given size, as Ultralytics' validator scales them.

/** `source` names the file in error messages. */
export function parseYoloLabels(text: string, size: Size, source = 'labels'): EvalLabel[] {
  const out: EvalLabel[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') return;
    const nums = fields.map(Number);
    if (fields.length < 5 || nums.some((n) => !Number.isFinite(n)) || !Number.isInteger(nums[0]) || nums[0] < 0) {
      throw new DetectError('INVALID_ARGUMENT', `${source}:${i + 1}: expected "class cx cy w h", got "${line.trim()}"`);
    }
    const [classId, cx, cy, w, h] = nums;
    out.push({
      classId,
      box: [(cx - w / 2) * size.width, (cy - h / 2) * size.height, (cx + w / 2) * size.width, (cy + h / 2) * size.height],
    });
  });
  return out;
}

// Matching predictions to labels, as BaseValidator.match_predictions (use_scipy=False) does.
// Its quirk is kept on purpose: after sorting candidate pairs by IoU and keeping the best label
// per prediction, np.unique re-sorts by prediction index, so a label goes to its LOWEST-INDEXED
// matching prediction (not its best-IoU one). Copying that is what makes our mAP equal theirs.

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

// Pairwise IoU of two xyxy box lists, as metrics.box_iou computes it (eps 1e-7 in the
// denominator).

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

// Average precision, as metrics.ap_per_class and compute_ap compute it.

const EPS = 1e-16;

/**
 * AP per class (rows: classes present in the labels, ascending) per IoU threshold (columns).
 * `tp` is row-major [predictions][thresholds]; ties in confidence keep input order.
 */
export function apPerClass(
  tp: Uint8Array,
  conf: ArrayLike<number>,
  predClasses: ArrayLike<number>,
  labelClasses: ArrayLike<number>,
  nThresholds: number,
): { classes: number[]; ap: number[][] } {
  const counts = new Map<number, number>();
  for (let i = 0; i < labelClasses.length; i++) counts.set(labelClasses[i], (counts.get(labelClasses[i]) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const order = Array.from({ length: conf.length }, (_, i) => i).sort((a, b) => conf[b] - conf[a]);
  const ap = classes.map((c) => {
    const idx = order.filter((i) => predClasses[i] === c);
    const nl = counts.get(c) as number;
    const row = new Array<number>(nThresholds).fill(0);
    if (idx.length === 0) return row;
    for (let t = 0; t < nThresholds; t++) {
      const recall = new Float64Array(idx.length);
      const precision = new Float64Array(idx.length);
      let tpc = 0;
      idx.forEach((i, k) => {
        tpc += tp[i * nThresholds + t];
        recall[k] = tpc / (nl + EPS);
        precision[k] = tpc / (k + 1);
      });
      row[t] = computeAp(recall, precision);
    }
    return row;
  });
  return { classes, ap };
}

/** AP of one recall/precision curve (predictions in descending confidence). */
export function computeAp(recall: ArrayLike<number>, precision: ArrayLike<number>): number {
  const n = recall.length;
  const mrec = new Float64Array(n + 2);
  const mpre = new Float64Array(n + 2);
  mpre[0] = 1;
  for (let i = 0; i < n; i++) {
    mrec[i + 1] = recall[i];
    mpre[i + 1] = precision[i];
  }
  mrec[n + 1] = 1;
  mpre[n + 1] = 0;
  for (let i = n; i >= 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
  let ap = 0;
  let prev = interp(0, mrec, mpre);
  for (let k = 1; k <= 100; k++) {
    const y = interp(k / 100, mrec, mpre);
    ap += (prev + y) / 200;
    prev = y;
  }
  return ap;
}

/**
 * np.interp(x, xp, fp) for ascending xp. Like numpy, where xp repeats a value equal to x the
 * LAST of the run wins: recall stays 0 over leading false positives, and answering fp[0] (1.0)
 * there instead of numpy's value moved mAP50-95 by 0.0008 on coco128.
 */
export function interp(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>): number {
  const n = xp.length;
  if (x < xp[0]) return fp[0];
  if (x >= xp[n - 1]) return fp[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid;
  }
  const span = xp[hi] - xp[lo];
  return span === 0 ? fp[hi] : fp[lo] + ((x - xp[lo]) * (fp[hi] - fp[lo])) / span;
}
