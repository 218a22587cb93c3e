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
import { createSpareBuffers, sharedBytes } from '../buffers/spare-buffers.js';
import { createDecodePool, type PooledPixels } from './decode-pool.js';
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
  /**
   * Pixel buffer reuse so far: `reused` decodes wrote into a buffer an earlier image released
   * (DecodedImage.release), `spare` released buffers wait now (at most SPARE_PIXEL_BUFFERS per size).
   */
  pixelReuse(): { readonly reused: number; readonly spare: number };
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

/**
 * How many spent pixel buffers a decoder keeps for reuse, per target size: enough for a batch
 * of 8 being packed while as many images decode (16 x 1.2 MB at 640x640). Beyond it they are dropped.
 * They are SharedArrayBuffers (sharedBytes): the decode worker writes into the caller's memory,
 * and the pixels never cross threads as a new buffer.
 */
export const SPARE_PIXEL_BUFFERS = 16;

/** Sets `sharp.concurrency` (process-wide in libvips) to `options.concurrency`. */
export function createSharpDecoder(options: Partial<SharpDecoderOptions> = {}): SharpDecoder {
  const opts = resolveDecoderOptions(options);
  const jpeg = resolveJpegDecoder(opts.jpegDecoder);
  sharp.concurrency(opts.concurrency);
  const pool = opts.workers > 0 ? createDecodePool(opts.workers) : undefined;
  const resizer = pool ? undefined : createLinearResizer();
  const runInThread = async (bytes: Uint8Array, plan: ImagePlan, route: PixelRoute, into: Uint8Array | undefined): Promise<PooledPixels> => {
    const pixels = await runPlan(bytes, plan, route, resizer!, into).catch(rethrowMapped);
    return { pixels, reused: into !== undefined && pixels === into };
  };
  const spares = createSpareBuffers(SPARE_PIXEL_BUFFERS);
  let reused = 0;
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
      const length = plan.target.width * plan.target.height * 3;
      const spare = spares.take(length);
      const into = spare ?? sharedBytes(length);
      const made = pool ? await pool.letterbox(bytes, plan, route, into) : await runInThread(bytes, plan, route, into);
      const pixels = made.pixels;
      if (!made.reused) spares.give(into); // a libvips route made its own: `into` is still ours, unused
      else if (spare) reused++;
      let released = false;
      const release = () => {
        if (!released) spares.give(pixels);
        released = true;
      };
      return { source: size, plan, pixels, decodeMs: performance.now() - t0, release };
    },
    pixelReuse: () => ({ reused, spare: spares.size }),
    close: async () => pool?.close(),
  };
}

/** libvips' queue depth and images in flight, for a metrics gauge. */
export function sharpCounters(): { queue: number; process: number } {
  const { queue, process } = sharp.counters();
  return { queue, process };
}
