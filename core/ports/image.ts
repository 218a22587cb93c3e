/**
 * @module core/ports/image
 * What the service needs from an image decoder: bytes in, letterboxed RGB pixels out.
 * core computes the plan (pure geometry); the decoder executes it in one native call.
 */
import type { Size } from '../types.js';

export interface DecodedImage<Plan> {
  /** Source size after EXIF orientation was applied. */
  readonly source: Size;
  readonly plan: Plan;
  /** HWC uint8, 3 channels RGB, plan's target size. */
  readonly pixels: Uint8Array;
  /** Milliseconds spent decoding and resizing. */
  readonly decodeMs: number;
  /**
   * Hands `pixels` back to the decoder for a later image (no allocation, no garbage). Call it
   * only once nothing reads them any more; later calls do nothing. Not calling it costs only the reuse.
   */
  readonly release?: () => void;
}

/** Per-model choices that change how pixels are produced (the manifest's `decode` section). */
export interface DecodeHints {
  /**
   * Let a large JPEG be downscaled inside its DCT on load (much less to decode); the pixels then
   * differ from cv2.imread + INTER_LINEAR, so it is off unless a manifest asks. @default false
   */
  readonly shrinkOnLoad?: boolean;
}

export interface ImageDecoder<Plan> {
  /** `planFor` receives the oriented source size and returns how to resize and pad it. */
  decode(bytes: Uint8Array, planFor: (source: Size) => Plan, hints?: DecodeHints): Promise<DecodedImage<Plan>>;
}
