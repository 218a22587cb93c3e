/**
 * @module core/resize/letterbox-rgb
 * Executes a LetterboxPlan on decoded pixels the way the reference pipeline does: fill the
 * target with the pad grey, then cv2-INTER_LINEAR-resize the source straight into its slot
 * (no intermediate resized buffer). Like Ultralytics, an image already at the resized size is
 * copied, not resampled.
 */
import type { LetterboxPlan } from '../letterbox/types.js';
import { resizeLinearInto, type Raster } from './linear.js';
import type { LinearResizer } from './resizer.js';
import { paddedTarget } from './target.js';

/**
 * Returns an HWC buffer of `plan.target` size with `src.channels` channels: `into` when its length
 * is exactly that (a recycled buffer, overwritten whole), else a new one. Pass the thread's
 * `resizer` for the WASM route; without one the JS reference runs.
 */
export function letterboxLinear(src: Raster, plan: LetterboxPlan, resizer?: LinearResizer, into?: Uint8Array): Uint8Array {
  const cn = src.channels;
  const { target, resized, pad } = plan;
  const out = paddedTarget(target.width * target.height * cn, plan.padValue, into);
  const dst: Raster = { data: out, width: target.width, height: target.height, channels: cn };
  if (resized.width === src.width && resized.height === src.height) {
    const rowLen = src.width * cn;
    for (let y = 0; y < src.height; y++) {
      out.set(src.data.subarray(y * rowLen, (y + 1) * rowLen), ((pad.top + y) * target.width + pad.left) * cn);
    }
    return out;
  }
  const region = { left: pad.left, top: pad.top, width: resized.width, height: resized.height };
  if (resizer) resizer.resizeInto(src, dst, region);
  else resizeLinearInto(src, dst, region);
  return out;
}
