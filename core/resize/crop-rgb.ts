/**
 * @module core/resize/crop-rgb
 * Executes a CropPlan on decoded pixels: cv2-INTER_LINEAR resize of the whole source to
 * `plan.resized` (the same kernel as the letterbox), then the crop window copied into a target
 * filled with the pad grey. The resize needs the full resized image (the window may start
 * anywhere), so unlike the letterbox it goes through one intermediate buffer.
 */
import type { CropPlan } from '../crop/plan.js';
import { resizeLinearInto, type Raster } from './linear.js';
import type { LinearResizer } from './resizer.js';
import { paddedTarget } from './target.js';

/** The plan's window of an image already at `plan.resized` size, padded to `plan.target` (written into `into` when its length fits). */
export function cropWindow(resized: Raster, plan: CropPlan, into?: Uint8Array): Uint8Array {
  const cn = resized.channels;
  const { target, crop, pad } = plan;
  if (resized.width !== plan.resized.width || resized.height !== plan.resized.height) {
    throw new RangeError(`cropWindow: image is ${resized.width}x${resized.height}, plan resized ${plan.resized.width}x${plan.resized.height}`);
  }
  const out = paddedTarget(target.width * target.height * cn, plan.padValue, into);
  const rowLen = crop.width * cn;
  for (let y = 0; y < crop.height; y++) {
    const from = ((crop.top + y) * resized.width + crop.left) * cn;
    out.set(resized.data.subarray(from, from + rowLen), ((pad.top + y) * target.width + pad.left) * cn);
  }
  return out;
}

/**
 * Returns an HWC buffer of `plan.target` size (`into` when its length fits, as letterboxLinear).
 * Pass the thread's `resizer` for the WASM route; without one the JS reference runs. A source
 * already at the resized size is not resampled.
 */
export function cropLinear(src: Raster, plan: CropPlan, resizer?: LinearResizer, into?: Uint8Array): Uint8Array {
  const { width, height } = plan.resized;
  if (src.width === width && src.height === height) return cropWindow(src, plan, into);
  const resized: Raster = { data: new Uint8Array(width * height * src.channels), width, height, channels: src.channels };
  const region = { left: 0, top: 0, width, height };
  if (resizer) resizer.resizeInto(src, resized, region);
  else resizeLinearInto(src, resized, region);
  return cropWindow(resized, plan, into);
}
