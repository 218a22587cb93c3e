/**
 * @module core/letterbox/defaults
 * Ultralytics' predict-time LetterBox settings: 640x640, centred, grey 114 padding, and
 * `auto` off because exported ONNX models take a fixed input size.
 */
import type { LetterboxOptions } from './types.js';

export const DEFAULT_LETTERBOX: LetterboxOptions = Object.freeze({
  size: Object.freeze({ width: 640, height: 640 }),
  stride: 32,
  scaleUp: true,
  auto: false,
  center: true,
  padValue: 114,
});
