/**
 * @module core/types
 * Shapes shared by every core module.
 */

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** x1, y1, x2, y2 in pixels. */
export type BoxXYXY = [number, number, number, number];

export interface Detection {
  /** x1, y1, x2, y2 in source-image pixels, clipped to the image. */
  readonly box: BoxXYXY;
  readonly score: number;
  readonly classId: number;
  readonly label: string;
}

/** Per-stage wall time in milliseconds, as reported in responses and histograms. */
export interface StageTimings {
  decode?: number;
  preprocess?: number;
  queue?: number;
  infer?: number;
  postprocess?: number;
  total?: number;
}
