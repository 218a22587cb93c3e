/**
 * @module infra/image/decode-protocol
 * Messages between the decoder (main thread) and a decode worker. The encoded bytes travel in
 * a buffer of their own (copied once on the main thread, then transferred); the pixels come
 * back transferred, often in the spent buffer the request brought (`into`), so the same few
 * pixel buffers go back and forth. A failure comes back as the DetectError's code, message and details, so the
 * caller gets the same typed error as from the in-thread path.
 */
import type { ErrorCode } from '../../core/errors/index.js';
import type { ImagePlan, PixelRoute } from './pipeline.js';

export interface DecodeRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly plan: ImagePlan;
  readonly route: PixelRoute;
  /** A spent pixel buffer to write the result into when its length fits (shared when on a SharedArrayBuffer, else transferred). */
  readonly into?: Uint8Array;
}

/** Asks the worker to exit once the requests before it are answered (a terminate() mid-decode races libvips). */
export interface DecodeClose {
  readonly close: true;
}

export type DecodeReply =
  // `reused`: the pixels are in the request's `into` buffer; `pixels` is absent when that buffer is shared (the caller has it).
  | { readonly id: number; readonly ok: true; readonly pixels?: Uint8Array; readonly reused: boolean }
  | {
      readonly id: number;
      readonly ok: false;
      readonly code: ErrorCode;
      readonly message: string;
      readonly details?: Record<string, unknown> | undefined;
    };
