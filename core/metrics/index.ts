/**
 * @module core/metrics
 * Detection accuracy metrics (Ultralytics-compatible mAP). Re-exports only.
 */
export { apPerClass, computeAp, interp } from './ap.js';
export { boxIou, boxIouMatrix } from './box-iou.js';
export { evaluateMap } from './map.js';
export type { EvalImage, EvalLabel, EvalPrediction, MapResult } from './map.js';
export { IOU_THRESHOLDS, matchPredictions } from './match.js';
export type { LabeledBoxes } from './match.js';
export { parseYoloLabels } from './yolo-labels.js';
