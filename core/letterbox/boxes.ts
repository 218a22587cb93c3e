/**
 * @module core/letterbox/boxes
 * Maps xyxy boxes between model-input pixels and source pixels through a LetterboxPlan
 * (Ultralytics' scale_boxes + clip_boxes). Both directions return new arrays: decoded outputs
 * may be views into an engine buffer that other items still read.
 */
import { expectInteger, invalidParameterError } from '../validate/index.js';
import type { LetterboxPlan } from './types.js';

function expectBoxes(boxes: Float32Array, count: number): void {
  if (!(boxes instanceof Float32Array)) throw invalidParameterError('boxes', 'Float32Array', boxes);
  expectInteger('count', count, 0, Math.floor(boxes.length / 4));
}

/** Model-input (letterboxed) xyxy -> source-image xyxy, clipped to the image unless `clip` is false. */
export function toSourceBoxes(boxes: Float32Array, count: number, plan: LetterboxPlan, clip = true): Float32Array {
  expectBoxes(boxes, count);
  const out = new Float32Array(count * 4);
  const { left, top } = plan.pad;
  const { width, height } = plan.source;
  for (let i = 0; i < count * 4; i += 4) {
    let x1 = (boxes[i]! - left) / plan.scale;
    let y1 = (boxes[i + 1]! - top) / plan.scale;
    let x2 = (boxes[i + 2]! - left) / plan.scale;
    let y2 = (boxes[i + 3]! - top) / plan.scale;
    if (clip) {
      x1 = Math.min(Math.max(x1, 0), width);
      y1 = Math.min(Math.max(y1, 0), height);
      x2 = Math.min(Math.max(x2, 0), width);
      y2 = Math.min(Math.max(y2, 0), height);
    }
    out[i] = x1;
    out[i + 1] = y1;
    out[i + 2] = x2;
    out[i + 3] = y2;
  }
  return out;
}
