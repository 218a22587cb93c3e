/**
 * @module core/decode/types
 * The contract between a model's raw output and NMS. A decoder turns one batch item of a
 * layout (yolov8, yolov5, end2end, ...) into flat candidates; everything after it is
 * layout-agnostic. Boxes stay in model-input (letterboxed) pixels: only core/output maps them
 * back to the source image, through the same LetterboxPlan that produced the input.
 */
import type { TensorMap } from '../ports/index.js';

/** Structure-of-arrays candidates: candidate i is boxes[4i..4i+3], scores[i], classIds[i]. */
export interface Candidates {
  readonly count: number;
  /** x1 y1 x2 y2 per candidate, in model-input pixels. */
  readonly boxes: Float32Array;
  readonly scores: Float32Array;
  readonly classIds: Int32Array;
}

export interface DecodeOptions {
  /** Candidates must score strictly above this (Ultralytics compares with `>`). */
  readonly conf: number;
  /** Keep only these class ids; absent keeps every class. */
  readonly classes?: readonly number[];
  /** Expected class count; when given, the output shape must agree with it. */
  readonly numClasses?: number;
  /** Output tensor(s) to read, in the decoder's order; absent: the model's first output. */
  readonly outputNames?: readonly string[];
}

export interface OutputDecoder {
  /** The layout name a model manifest refers to ("yolov8", "yolov5", "end2end"). */
  readonly kind: string;
  /**
   * The model already selected its boxes (end-to-end heads): skip NMS and only keep the
   * `maxDet` best, as Ultralytics does for such models. @default false
   */
  readonly nmsFree?: boolean;
  /** Decodes batch item `index` of `outputs`. Throws MODEL_MISMATCH on a wrong shape. */
  decode(outputs: TensorMap, index: number, opts: DecodeOptions): Candidates;
}

/** Read-only lookup from layout name to decoder; built by createDecoders, never global. */
export type DecoderSet = Readonly<Record<string, OutputDecoder>>;
