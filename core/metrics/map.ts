/**
 * @module core/metrics/map
 * mAP50 and mAP50-95 over a data set, the way `yolo val` reports them: per image, predictions
 * are matched to same-class labels at ten IoU thresholds; then AP per class (classes that occur
 * in the labels) is averaged. Images with labels but no predictions still count their labels.
 */
import type { BoxXYXY } from '../types.js';
import { apPerClass } from './ap.js';
import { IOU_THRESHOLDS, matchPredictions } from './match.js';

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
