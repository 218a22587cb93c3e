/**
 * @module infra/image/decoder
 * `createSharpDecoder`: the ImageDecoder port on sharp (and libjpeg-turbo for plain JPEGs, turbojpeg.ts). Reads the header first (cheap: no
 * pixels; a plain JPEG's in JS, jpeg-header.ts, anything else with sharp), refuses bad input by its metadata, asks `planFor` with the EXIF-oriented size, then
 * runs one pipeline, in a decode worker (default) or in the calling thread (`workers: 0`).
 * Every failure leaves as a DetectError with a stable code, from either place.
 */
import sharp from 'sharp';
import type { LetterboxPlan } from '../../core/letterbox/types.js';
import type { DecodedImage, DecodeHints, ImageDecoder } from '../../core/ports/index.js';
import type { Size } from '../../core/types.js';
import { createLinearResizer } from '../../core/resize/index.js';
import { createDecodePool } from './decode-pool.js';
import { checkHeader, checkInput, mapSharpError } from './errors.js';
import { readJpegHeader } from './jpeg-header.js';
import { resolveDecoderOptions, type SharpDecoderOptions } from './options.js';
import { runPlan, shrinkOnLoadApplies, type ImagePlan, type PixelRoute } from './pipeline.js';
import { resolveJpegDecoder, type JpegDecoder } from './turbojpeg.js';

export interface SharpDecoder extends ImageDecoder<LetterboxPlan> {
  /** Either plan: a detector's letterbox or a classifier's crop, through the same decode. */
  decode<P extends ImagePlan>(bytes: Uint8Array, planFor: (source: Size) => P, hints?: DecodeHints): Promise<DecodedImage<P>>;
  readonly options: SharpDecoderOptions;
  /** Who decodes plain JPEGs (`options.jpegDecoder` with `auto` resolved). */
  readonly jpeg: JpegDecoder;
  /** Stops the decode workers (idle ones never keep the process alive; this is for tidy shutdowns). */
  close(): Promise<void>;
}

/**
 * Size after EXIF orientation, read from the header only. sharp's own pixel limit is lifted
 * here (reading a header is safe) so that checkHeader can say how large the image claims to be.
 */
export async function readOrientedHeader(bytes: Uint8Array): Promise<{ format: string | undefined; size: Size }> {
  const m = await sharp(bytes, { limitInputPixels: false }).metadata();
  const size = m.autoOrient ?? { width: m.width ?? 0, height: m.height ?? 0 };
  return { format: m.format, size: { width: size.width, height: size.height } };
}

function rethrowMapped(err: unknown): never {
  throw mapSharpError(err);
}

/** Sets `sharp.concurrency` (process-wide in libvips) to `options.concurrency`. */
export function createSharpDecoder(options: Partial<SharpDecoderOptions> = {}): SharpDecoder {
  const opts = resolveDecoderOptions(options);
  const jpeg = resolveJpegDecoder(opts.jpegDecoder);
  sharp.concurrency(opts.concurrency);
  const pool = opts.workers > 0 ? createDecodePool(opts.workers) : undefined;
  const resizer = pool ? undefined : createLinearResizer();
  return {
    options: opts,
    jpeg,
    async decode<P extends ImagePlan>(bytes: Uint8Array, planFor: (source: Size) => P, hints?: DecodeHints): Promise<DecodedImage<P>> {
      const t0 = performance.now();
      checkInput(bytes, opts.maxBytes);
      // Most JPEGs are read in JS: the event loop's share of a request, not the decode, bounds throughput.
      const { format, size } = readJpegHeader(bytes) ?? (await readOrientedHeader(bytes).catch(rethrowMapped));
      checkHeader(format, size, opts.maxInputPixels);
      // planFor is the caller's code: its errors pass through unmapped.
      const plan = planFor(size);
      const shrinkOnLoad = hints?.shrinkOnLoad === true && shrinkOnLoadApplies(format, size, plan.resized);
      const route: PixelRoute = { mode: opts.resize, limitInputPixels: opts.maxInputPixels, shrinkOnLoad, jpeg };
      const pixels = pool ? await pool.letterbox(bytes, plan, route) : await runPlan(bytes, plan, route, resizer!).catch(rethrowMapped);
      return { source: size, plan, pixels, decodeMs: performance.now() - t0 };
    },
    close: async () => pool?.close(),
  };
}

/** libvips' queue depth and images in flight, for a metrics gauge. */
export function sharpCounters(): { queue: number; process: number } {
  const { queue, process } = sharp.counters();
  return { queue, process };
}
