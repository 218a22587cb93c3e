/**
 * @module core/letterbox/types
 * The letterbox plan: how a source image becomes a model input. core computes it (pure
 * geometry); an image decoder executes it (resize to `resized`, then pad to `target`).
 * Boxes go back to source pixels through the same plan object, so the two can never disagree.
 */
import type { Size } from '../types.js';

export interface LetterboxOptions {
  /** Model input size. @default {width: 640, height: 640} */
  readonly size: Size;
  /** Padding multiple used by `auto`. @default 32 */
  readonly stride: number;
  /** Allow enlarging images smaller than `size`. @default true */
  readonly scaleUp: boolean;
  /** Minimum rectangle: pad only up to the next multiple of `stride`. @default false */
  readonly auto: boolean;
  /** Centre the image (true) or place it top-left (false). @default true */
  readonly center: boolean;
  /** Grey level of the padding, 0..255. @default 114 */
  readonly padValue: number;
}

export interface Padding {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export interface LetterboxPlan {
  readonly source: Size;
  /** Size after resizing, before padding. */
  readonly resized: Size;
  /** Size of the padded model input: resized + padding. */
  readonly target: Size;
  /** Resize gain applied to both axes (Ultralytics' `r`). */
  readonly scale: number;
  readonly pad: Padding;
  readonly padValue: number;
}
