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
}

export interface ImageDecoder<Plan> {
  /** `planFor` receives the oriented source size and returns how to resize and pad it. */
  decode(bytes: Uint8Array, planFor: (source: Size) => Plan): Promise<DecodedImage<Plan>>;
}
