/**
 * @module core/options/detect-options
 * The per-request postprocessing knobs. Defaults are Ultralytics' `predict` defaults, so a
 * request with no options gives the same detections as `yolo predict`.
 */

export interface DetectOptions {
  /** Minimum confidence a detection must reach, 0..1. @default 0.25 */
  readonly conf: number;
  /** IoU above which NMS suppresses the lower-scored box, 0..1. @default 0.7 */
  readonly iou: number;
  /** Most detections returned per image, 1..10000. @default 300 */
  readonly maxDet: number;
  /** Keep only these class ids; absent keeps every class. @default undefined */
  readonly classes?: readonly number[];
  /** Class-agnostic NMS: boxes of different classes suppress each other too. @default false */
  readonly agnostic: boolean;
  /** Most candidates (highest scores first) that enter NMS, >= 1. @default 30000 */
  readonly maxNms: number;
}

export const DEFAULT_DETECT_OPTIONS: DetectOptions = Object.freeze({
  conf: 0.25,
  iou: 0.7,
  maxDet: 300,
  agnostic: false,
  maxNms: 30000,
});
