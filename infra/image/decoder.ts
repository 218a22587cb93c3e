/**
 * @module infra/image/decoder
 * The ImageDecoder port on sharp (and libjpeg-turbo for plain JPEGs): options, the checks made
 * before any pixel is decoded, and where the pixel pass runs (infra/image/pipeline.ts), in a
 * decode worker (a WorkerPool, infra/workers.ts) or in the calling thread. `resize` picks how the
 * letterbox is resampled: 'cv2-linear' reproduces OpenCV's INTER_LINEAR bit for bit
 * (core/resize) on sharp's full-size decode; the sharp kernels resample inside libvips (faster,
 * but not what the model was trained on; see FIDELITY.md for the measured differences).
 */
import sharp from 'sharp';
import { DetectError, expectInteger, expectOneOf } from '../../core/errors.js';
import type { LetterboxPlan, Size } from '../../core/geometry.js';
import { createLinearResizer } from '../../core/resize.js';
import type { DecodedImage, DecodeHints, ImageDecoder } from '../../core/types.js';
import { createSpareBuffers, sharedBytes, usableCores } from '../host.js';
import { captureCallSite, createWorkerPool, existingScript, transferable } from '../workers.js';
import {
  type DecodeReply, type DecodeTask, type ImagePlan, JPEG_DECODER_CHOICES, type JpegDecoder, type JpegDecoderChoice, mapSharpError, type PixelRoute,
  readJpegHeader, RESIZE_MODES, type ResizeMode, resolveJpegDecoder, runPlan, shrinkOnLoadApplies,
} from './pipeline.js';

export interface SharpDecoderOptions {
  /** Largest oriented width * height accepted (decompression-bomb guard). @default 40_000_000 */
  readonly maxInputPixels: number;
  /** Largest encoded input in bytes; undefined = no limit here (the HTTP layer has its own). */
  readonly maxBytes?: number | undefined;
  /** How the letterbox is resampled. @default 'cv2-linear' (bit-exact with the reference) */
  readonly resize: ResizeMode;
  /** libvips threads per image (`sharp.concurrency`, a process-wide setting). @default 1 */
  readonly concurrency: number;
  /**
   * Decode worker threads that run the pixel pass (sharp decode + letterbox), keeping it off the
   * caller's event loop; 0 runs it in the calling thread. The header is always read in the
   * caller's thread (it decides the plan). @default decodeWorkersFor(usableCores().cores): the CPUs, or the cgroup's CPU quota where lower
   */
  readonly workers: number;
  /**
   * Who decodes plain JPEGs: libjpeg-turbo directly ('turbojpeg', the native addon), sharp, or
   * 'auto' (the addon where it is built). Same pixels either way. @default 'auto'
   */
  readonly jpegDecoder: JpegDecoderChoice;
}

/** More decode workers than this only contend with libvips, the engine and the event loop. */
export const MAX_DEFAULT_DECODE_WORKERS = 8;

/**
 * The default decode workers for a process that may use `cores` cores: one per core beyond the
 * one the event loop needs, capped. On a GPU host the engine costs the CPU little and decode is
 * what bounds throughput, so more cores buy more decoders; on 1 core a worker adds only a hop
 * (0: decode in the calling thread); on 2 cores, 1. The hop costs latency at batch 1 on 2 cores
 * (bench `pipeline`: detect 1.55x a bare run with a worker, 1.32x without, 2026-11); the default
 * serves throughput, measured with the engine out of the way by bench `pipeline-null-engine`.
 */
export function decodeWorkersFor(cores: number): number {
  return Math.min(MAX_DEFAULT_DECODE_WORKERS, Math.max(0, Math.floor(cores) - 1));
}

export const DEFAULT_DECODER_OPTIONS: Readonly<SharpDecoderOptions> = Object.freeze({
  maxInputPixels: 40_000_000,
  resize: 'cv2-linear',
  concurrency: 1,
  workers: decodeWorkersFor(usableCores().cores),
  jpegDecoder: 'auto',
});

export function resolveDecoderOptions(options: Partial<SharpDecoderOptions> = {}): SharpDecoderOptions {
  const o = { ...DEFAULT_DECODER_OPTIONS, ...options };
  return Object.freeze({
    maxInputPixels: expectInteger('maxInputPixels', o.maxInputPixels, 1),
    maxBytes: o.maxBytes === undefined ? undefined : expectInteger('maxBytes', o.maxBytes, 1),
    resize: expectOneOf('resize', o.resize, RESIZE_MODES),
    concurrency: expectInteger('concurrency', o.concurrency, 1, 256),
    workers: expectInteger('workers', o.workers, 0, 64),
    jpegDecoder: expectOneOf('jpegDecoder', o.jpegDecoder, JPEG_DECODER_CHOICES),
  });
}

// sharp reports every failure as a plain Error; callers need stable codes. The header is
// checked before any pixel is decoded, so a decompression bomb (a few KB declaring 30000x30000)
// is refused from its metadata alone.
/** Formats accepted from callers. SVG/PDF are refused: they render, fetch and can be huge. */
export const ACCEPTED_FORMATS: readonly string[] = ['jpeg', 'png', 'webp', 'tiff', 'gif', 'heif'];

export function checkInput(bytes: Uint8Array, maxBytes: number | undefined): void {
  if (bytes.length === 0) throw new DetectError('EMPTY_BODY', 'Image body is empty');
  if (maxBytes !== undefined && bytes.length > maxBytes) {
    throw new DetectError('PAYLOAD_TOO_LARGE', `Image is ${bytes.length} bytes, more than the limit of ${maxBytes}`, {
      details: { bytes: bytes.length, maxBytes },
    });
  }
}

export function checkHeader(format: string | undefined, size: Size, maxPixels: number): void {
  if (format === undefined || !ACCEPTED_FORMATS.includes(format)) {
    throw new DetectError('UNSUPPORTED_MEDIA_TYPE', `Unsupported image format ${format ?? 'unknown'}; expected one of ${ACCEPTED_FORMATS.join(', ')}`);
  }
  const pixels = size.width * size.height;
  if (!(pixels > 0)) throw new DetectError('UNDECODABLE_IMAGE', `Image header declares an empty size ${size.width}x${size.height}`);
  if (pixels > maxPixels) {
    throw new DetectError('IMAGE_TOO_LARGE', `Image is ${size.width}x${size.height} (${pixels} pixels), more than the limit of ${maxPixels}`, {
      details: { width: size.width, height: size.height, maxInputPixels: maxPixels },
    });
  }
}

// `createSharpDecoder` reads the header first (cheap: no pixels; a plain JPEG's in JS, anything
// else with sharp), refuses bad input by its metadata, asks `planFor` with the EXIF-oriented
// size, then runs the pixel pass in a decode worker (default) or in the calling thread
// (`workers: 0`). A worker gets the job with the fewest in flight (several run at once:
// DECODE_TASKS_PER_WORKER); workers start on first use and are unref'd while idle, so an idle
// decoder never keeps the process alive; a dead one fails only its own jobs (WORKER_CRASHED) and
// is replaced on the next job. Every failure leaves as a DetectError with a stable code, from
// either place, created at the decode() call (its stack points at the caller).
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

/**
 * Jobs one decode worker takes at once: sharp's are async (libvips' own threads decode), and the
 * next job's bytes arrive while one decodes. A low cap starves libvips: with 4 a worker decoding
 * JPEGs through sharp served 95-99 img/s against 107-126 with 64 (`npm run bench -- --only
 * pipeline-null-engine --quick`, bus.jpg, 2 cores, interleaved runs). The model's queue bound
 * (batching.maxQueue) already bounds what is in flight.
 */
export const DECODE_TASKS_PER_WORKER = 64;

/** How long close() lets the decode workers finish the jobs they were sent before terminating them. */
const CLOSE_WAIT_MS = 5_000;

/** Sets `sharp.concurrency` (process-wide in libvips) to `options.concurrency`. */
export function createSharpDecoder(options: Partial<SharpDecoderOptions> = {}): SharpDecoder {
  const opts = resolveDecoderOptions(options);
  const jpeg = resolveJpegDecoder(opts.jpegDecoder);
  sharp.concurrency(opts.concurrency);
  const pool = opts.workers > 0
    ? createWorkerPool<DecodeTask, DecodeReply>({ name: 'decode', script: resolveDecodeWorker(), threads: opts.workers, tasksPerThread: DECODE_TASKS_PER_WORKER, lazy: true })
    : undefined;
  const resizer = pool ? undefined : createLinearResizer();
  /** The pixels, in `into` (a SharedArrayBuffer) when the route wrote there. */
  const pixelPass = async (bytes: Uint8Array, plan: ImagePlan, route: PixelRoute, into: Uint8Array, site: Error): Promise<Uint8Array> => {
    if (!pool) return runPlan(bytes, plan, route, resizer!, into).catch(rethrowMapped);
    // A private copy to transfer: the caller keeps its bytes (a pooled Buffer cannot move anyway).
    const own = new Uint8Array(bytes);
    const reply = await pool.run({ bytes: own, plan, route, into }, transferable([own]), site);
    return reply.pixels ?? into;
  };
  const spares = createSpareBuffers(SPARE_PIXEL_BUFFERS);
  let reused = 0;
  return {
    options: opts,
    jpeg,
    async decode<P extends ImagePlan>(bytes: Uint8Array, planFor: (source: Size) => P, hints?: DecodeHints): Promise<DecodedImage<P>> {
      const t0 = performance.now();
      const site = captureCallSite();
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
      const pixels = await pixelPass(bytes, plan, route, into, site);
      if (pixels !== into) spares.give(into); // a libvips route made its own: `into` is still ours, unused
      else if (spare) reused++;
      let released = false;
      const release = () => {
        if (!released) spares.give(pixels);
        released = true;
      };
      return { source: size, plan, pixels, decodeMs: performance.now() - t0, release };
    },
    pixelReuse: () => ({ reused, spare: spares.size }),
    close: async () => pool?.close(CLOSE_WAIT_MS),
  };
}

/** libvips' queue depth and images in flight, for a metrics gauge. */
export function sharpCounters(): { queue: number; process: number } {
  const { queue, process } = sharp.counters();
  return { queue, process };
}


// Where the decode worker code is (infra/workers.ts says how a bundle and a source run differ).
export function resolveDecodeWorker(here: string = import.meta.url): URL {
  return existingScript(new URL(here.endsWith('.ts') ? './decode-worker-dev.mjs' : './decode-worker.js', here), 'decode worker');
}
