/**
 * @module core/letterbox/plan
 * `planLetterbox`: the geometry of Ultralytics' LetterBox (ultralytics/data/augment.py), with
 * its exact rounding, so a decoder that executes the plan feeds the model the same pixels the
 * reference pipeline does and boxes map back to the same source coordinates.
 */
import { roundHalfEven } from '../math/index.js';
import { invalidParameterError } from '../validate/index.js';
import type { Size } from '../types.js';
import { expectSize, resolveLetterboxOptions } from './options.js';
import type { LetterboxOptions, LetterboxPlan } from './types.js';

export function planLetterbox(source: Size, options?: Partial<LetterboxOptions>): LetterboxPlan {
  const src = expectSize('source', source);
  const o = resolveLetterboxOptions(options);
  let r = Math.min(o.size.height / src.height, o.size.width / src.width);
  if (!o.scaleUp) r = Math.min(r, 1);
  const resized = { width: roundHalfEven(src.width * r), height: roundHalfEven(src.height * r) };
  if (resized.width < 1 || resized.height < 1) {
    // Ultralytics would hand cv2.resize a zero side and crash; say why instead.
    throw invalidParameterError('source', `size that keeps 1 pixel per side at ${o.size.width}x${o.size.height}`, `${src.width}x${src.height}`);
  }
  let dw = o.size.width - resized.width;
  let dh = o.size.height - resized.height;
  if (o.auto) {
    dw %= o.stride;
    dh %= o.stride;
  }
  if (o.center) {
    dw /= 2;
    dh /= 2;
  }
  // The +-0.1 puts the odd pixel of an odd padding on the bottom/right, as Ultralytics does.
  const pad = {
    left: o.center ? roundHalfEven(dw - 0.1) : 0,
    top: o.center ? roundHalfEven(dh - 0.1) : 0,
    right: roundHalfEven(dw + 0.1),
    bottom: roundHalfEven(dh + 0.1),
  };
  const target = { width: resized.width + pad.left + pad.right, height: resized.height + pad.top + pad.bottom };
  return { source: src, resized, target, scale: r, pad, padValue: o.padValue };
}
