/**
 * @module core/options
 * The per-request postprocessing knobs. Defaults are Ultralytics' `predict` defaults, so a
 * request with no options gives the same detections as `yolo predict`.
 */
import { expectInteger, expectNumber, invalidParameterError } from './errors.js';

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

// ---- parse-detect-options ----
// Turns loosely typed input (JSON bodies, query strings, KServe parameters) into a validated,
// frozen DetectOptions. Query strings carry everything as text, so numeric strings, "0,2,5"
// class lists and "true"/"1" booleans are accepted here, once, at the boundary.
const MAX_DET_LIMIT = 10000;

function toNumber(v: unknown): unknown {
  // Number('') is 0: an empty query value must stay an error, not become conf=0.
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isNaN(n) ? v : n;
  }
  return v;
}

function toBoolean(name: string, v: unknown): boolean {
  if (v === true || v === 'true' || v === '1' || v === 1) return true;
  if (v === false || v === 'false' || v === '0' || v === 0) return false;
  throw invalidParameterError(name, 'boolean (true, false, "true", "false", "1", "0")', v);
}

function toClasses(v: unknown): readonly number[] {
  const items = typeof v === 'string' ? (v.trim() === '' ? [] : v.split(',')) : v;
  if (!Array.isArray(items)) throw invalidParameterError('classes', 'array of class ids or "0,2,5"', v);
  const ids = items.map((item) => {
    const n = toNumber(typeof item === 'string' ? item.trim() : item);
    if (!Number.isInteger(n) || (n as number) < 0) {
      throw invalidParameterError('classes', 'non-negative integer class ids', item);
    }
    return n as number;
  });
  return Object.freeze(ids);
}

/**
 * Reads the fields present in `raw` over `base`; absent (undefined or null) fields keep the
 * base value. Unknown keys are ignored: callers own their own parameter namespace.
 */
export function parseDetectOptions(
  raw: Record<string, unknown>,
  base: DetectOptions = DEFAULT_DETECT_OPTIONS,
): DetectOptions {
  const has = (k: string) => raw[k] !== undefined && raw[k] !== null;
  const classes = has('classes') ? toClasses(raw.classes) : base.classes;
  return Object.freeze({
    conf: has('conf') ? expectNumber('conf', toNumber(raw.conf), 0, 1) : base.conf,
    iou: has('iou') ? expectNumber('iou', toNumber(raw.iou), 0, 1) : base.iou,
    maxDet: has('maxDet') ? expectInteger('maxDet', toNumber(raw.maxDet), 1, MAX_DET_LIMIT) : base.maxDet,
    agnostic: has('agnostic') ? toBoolean('agnostic', raw.agnostic) : base.agnostic,
    maxNms: has('maxNms') ? expectInteger('maxNms', toNumber(raw.maxNms), 1) : base.maxNms,
    ...(classes !== undefined ? { classes } : {}),
  });
}
