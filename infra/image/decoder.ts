/**
 * @module infra/image/decoder
 * Options of the sharp-backed decoder. `resize` picks how the letterbox is resampled:
 * 'cv2-linear' reproduces OpenCV's INTER_LINEAR bit for bit (core/resize) on sharp's full-size
 * decode; the sharp kernels resample inside libvips (faster, but not what the model was trained
 * on; see FIDELITY.md for the measured differences).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DetectError, type ErrorCode, expectInteger, expectOneOf } from '../../core/errors.js';
import type { LetterboxPlan, Size } from '../../core/geometry.js';
import { createLinearResizer } from '../../core/resize.js';
import type { DecodedImage, DecodeHints, ImageDecoder } from '../../core/types.js';
import { createSpareBuffers, sharedBytes, usableCores } from '../host.js';
import { createDecodePool, type PooledPixels } from './decode-pool.js';
import { type ImagePlan, JPEG_DECODER_CHOICES, type JpegDecoder, type JpegDecoderChoice, type PixelRoute, resolveJpegDecoder, runPlan, shrinkOnLoadApplies } from './pipeline.js';

export const SHARP_KERNELS = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos3'] as const;
export type SharpKernel = (typeof SHARP_KERNELS)[number];
export type ResizeMode = 'cv2-linear' | SharpKernel;
export const RESIZE_MODES: readonly ResizeMode[] = ['cv2-linear', ...SHARP_KERNELS];

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

// ---- errors ----
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

/** Maps an error thrown by sharp (metadata or pipeline) to a DetectError. */
export function mapSharpError(err: unknown): DetectError {
  if (err instanceof DetectError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n')[0]!;
  if (/unsupported image format/i.test(message)) {
    return new DetectError('UNSUPPORTED_MEDIA_TYPE', 'Input is not an image in a supported format', { cause: err });
  }
  if (/pixel limit/i.test(message)) {
    return new DetectError('IMAGE_TOO_LARGE', `Image exceeds the pixel limit: ${first}`, { cause: err });
  }
  if (/empty/i.test(message) && /buffer/i.test(message)) return new DetectError('EMPTY_BODY', 'Image body is empty', { cause: err });
  return new DetectError('UNDECODABLE_IMAGE', `Image is truncated or corrupt: ${first}`, { cause: err });
}

// ---- jpeg-header ----
// The size of a plain JPEG read in JavaScript from its markers, so the event loop does not pay
// for a sharp metadata call (building sharp's options, a libuv round trip, libvips reading the
// header) on every request when a decode worker does the decoding anyway.
// It answers only where sharp's answer is certain to be the same: one 8-bit SOF0/1/2 frame with
// 1 or 3 components before the first scan, and either no EXIF or one EXIF block whose IFD0
// holds one orientation 1-8 (the size it answers is the oriented one, as sharp's autoOrient; the
// orientation goes with it for the native decoder). Anything unusual returns undefined and the
// caller asks sharp.
const EXIF = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"
const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

/** EXIF orientation, 1 (as stored) to 8. */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** The orientation an EXIF block's IFD0 carries, or undefined for anything else. */
function exifOrientation(bytes: Uint8Array, start: number, end: number): Orientation | undefined {
  const t = start + EXIF.length;
  if (t + 8 > end) return undefined;
  const le = bytes[t] === 0x49 && bytes[t + 1] === 0x49;
  if (!le && !(bytes[t] === 0x4d && bytes[t + 1] === 0x4d)) return undefined;
  const u16 = (at: number) => (le ? bytes[at]! | (bytes[at + 1]! << 8) : (bytes[at]! << 8) | bytes[at + 1]!);
  const u32 = (at: number) => (le ? u16(at) + u16(at + 2) * 65536 : u16(at) * 65536 + u16(at + 2));
  if (u16(t + 2) !== 42) return undefined;
  const ifd = t + u32(t + 4);
  if (ifd + 2 > end) return undefined;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) return undefined;
    if (u16(e) !== ORIENTATION_TAG) continue;
    const value = u16(e + 8);
    return u16(e + 2) === SHORT && u32(e + 4) === 1 && value >= 1 && value <= 8 ? (value as Orientation) : undefined;
  }
  return undefined; // no orientation in IFD0: libexif may take one from another IFD
}

export interface JpegHeader {
  readonly format: 'jpeg';
  /** After orientation (width and height swapped for 5-8), as sharp's metadata `autoOrient`. */
  readonly size: Size;
  readonly orientation: Orientation;
}

const startsWith = (bytes: Uint8Array, at: number, prefix: readonly number[]) => prefix.every((b, i) => bytes[at + i] === b);

/** The header when the answer is certain (see the module note), else undefined. */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let size: Size | undefined;
  let orientation: Orientation | undefined;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    while (bytes[i + 1] === 0xff) i++; // fill bytes
    const marker = bytes[i + 1]!;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9) return undefined; // end of image before any scan
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    const data = i + 4;
    const end = i + 2 + length;
    if (length < 2 || end > bytes.length) return undefined;
    if (marker === 0xda) {
      // Start of scan: the header is complete.
      if (!size) return undefined;
      const o = orientation ?? 1;
      return { format: 'jpeg', size: o >= 5 ? { width: size.height, height: size.width } : size, orientation: o };
    }
    if (marker === 0xe1 && startsWith(bytes, data, EXIF)) {
      if (orientation !== undefined) return undefined; // a second EXIF block: which one wins is libexif's business
      orientation = exifOrientation(bytes, data, end);
      if (orientation === undefined) return undefined;
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (size || marker > 0xc2 || length < 8) return undefined;
      const precision = bytes[data]!;
      const height = (bytes[data + 1]! << 8) | bytes[data + 2]!;
      const width = (bytes[data + 3]! << 8) | bytes[data + 4]!;
      const components = bytes[data + 5]!;
      if (precision !== 8 || width === 0 || height === 0 || (components !== 1 && components !== 3)) return undefined;
      size = { width, height };
    }
    i = end;
  }
  return undefined;
}

// ---- decoder ----
// `createSharpDecoder`: the ImageDecoder port on sharp (and libjpeg-turbo for plain JPEGs, turbojpeg.ts). Reads the header first (cheap: no
// pixels; a plain JPEG's in JS, jpeg-header.ts, anything else with sharp), refuses bad input by its metadata, asks `planFor` with the EXIF-oriented size, then
// runs one pipeline, in a decode worker (default) or in the calling thread (`workers: 0`).
// Every failure leaves as a DetectError with a stable code, from either place.
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

// ---- decode-protocol ----
// Messages between the decoder (main thread) and a decode worker. The encoded bytes travel in
// a buffer of their own (copied once on the main thread, then transferred); the pixels come
// back transferred, often in the spent buffer the request brought (`into`), so the same few
// pixel buffers go back and forth. A failure comes back as the DetectError's code, message and details, so the
// caller gets the same typed error as from the in-thread path.
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

// ---- decode-worker-script ----
// Where the decode worker code is, resolved like the engine's (infra/engine/worker-script.ts):
// in a bundle (dist/server.js, dist/cli.js) this module's URL ends in .js and the worker is the
// sibling bundle dist/decode-worker.js; from source it ends in .ts and the worker is
// decode-worker-dev.mjs, which registers tsx in the worker and imports decode-worker-main.ts.
export function resolveDecodeWorker(here: string = import.meta.url): URL {
  const url = here.endsWith('.ts') ? new URL('./decode-worker-dev.mjs', here) : new URL('./decode-worker.js', here);
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new Error(`decode worker script ${path} does not exist (run \`npm run build\`)`);
  return url;
}
