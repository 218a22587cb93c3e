/**
 * @module infra/image/turbojpeg
 * The native JPEG decoder: libjpeg-turbo's TurboJPEG API with the accurate DCT
 * (infra/image/native/turbojpeg.c, built into dist/native/ by `npm run build`). Same pixels as
 * sharp and cv2.imread (libjpeg's default decode), at about half sharp's CPU per image, because
 * nothing of libvips' pipeline runs around it. It takes plain JPEGs only (what
 * `readJpegHeader` is certain of: 8-bit, 1 or 3 components, a clear EXIF orientation, applied
 * after the decode as cv2.imread does); everything else, and
 * every JPEG where the addon is not built, goes through sharp.
 * `DETECTFN_JPEG_DECODER` picks: `auto` (the addon where it loads), `turbojpeg` (start-up fails
 * without it: a deployment that measured its speed gets it or does not start), `sharp`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DetectError } from '../../core/errors/index.js';
import type { Orientation } from './jpeg-header.js';

export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /**
   * Hands the pixel buffer back for the next decode in this thread; the caller must not read
   * `data` afterwards. Absent where the buffer is the caller's to keep.
   */
  readonly release?: () => void;
}

interface Addon {
  decodeRgb(bytes: Uint8Array, maxPixels: number, into?: Uint8Array, orientation?: Orientation): Promise<RgbImage>;
  decodeRgbSync(bytes: Uint8Array, maxPixels: number, into?: Uint8Array, orientation?: Orientation): RgbImage;
  readonly libjpegTurboVersion: string;
}

export const JPEG_DECODER_CHOICES = ['auto', 'turbojpeg', 'sharp'] as const;
export type JpegDecoderChoice = (typeof JPEG_DECODER_CHOICES)[number];
/** What actually decodes plain JPEGs, once `auto` is resolved. */
export type JpegDecoder = Exclude<JpegDecoderChoice, 'auto'>;

/** dist/native/turbojpeg.node: beside a bundle (dist/*.js), or the repo's dist/ when running from source. */
export function turbojpegAddonPath(here: string = import.meta.url): string {
  return fileURLToPath(here.endsWith('.ts') ? new URL('../../dist/native/turbojpeg.node', here) : new URL('./native/turbojpeg.node', here));
}

let onThisThread = false;

/**
 * Decode on the calling thread from now on (decode workers call this once): a worker exists to
 * decode, and decoding on it means N workers decode N images at once. The default, for an
 * event loop, runs each decode on the process-wide libuv pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise, shared with fs, dns, zlib and sharp), which would cap a
 * GPU host's 8 decode workers at 4 decodes in flight.
 */
export function decodeJpegOnThisThread(): void {
  onThisThread = true;
}

type Loaded = { readonly ok: true; readonly addon: Addon } | { readonly ok: false; readonly reason: string };
let loaded: Loaded | undefined;

/** Loads the addon once per thread; a missing or broken build is a reason, not a throw. */
export function loadTurbojpeg(): Loaded {
  if (loaded) return loaded;
  const path = turbojpegAddonPath();
  if (!existsSync(path)) return (loaded = { ok: false, reason: `${path} is not built (npm run build needs a C compiler and libturbojpeg0-dev)` });
  try {
    return (loaded = { ok: true, addon: createRequire(import.meta.url)(path) as Addon });
  } catch (err) {
    return (loaded = { ok: false, reason: `${path} does not load: ${err instanceof Error ? err.message : String(err)}` });
  }
}

/** `auto` -> turbojpeg where the addon loads, else sharp; `turbojpeg` without the addon throws, naming why. */
export function resolveJpegDecoder(choice: JpegDecoderChoice): JpegDecoder {
  if (choice === 'sharp') return 'sharp';
  const addon = loadTurbojpeg();
  if (addon.ok) return 'turbojpeg';
  if (choice === 'auto') return 'sharp';
  throw new Error(`JPEG decoder turbojpeg (DETECTFN_JPEG_DECODER / jpegDecoder) is not available: ${addon.reason}`);
}

/** "turbojpeg (libjpeg-turbo 2.1.5)" or "sharp (...why)", for the start-up log. */
export function describeJpegDecoder(decoder: JpegDecoder): string {
  const addon = loadTurbojpeg();
  if (decoder === 'turbojpeg' && addon.ok) return `turbojpeg (libjpeg-turbo ${addon.addon.libjpegTurboVersion}, accurate DCT)`;
  return addon.ok ? 'sharp (chosen)' : `sharp (${addon.reason})`;
}

/**
 * Full-size decodes are scratch: read once by the letterbox, then dropped. Reusing a few per
 * thread spares V8 a multi-megabyte allocation, its zero-fill and the GC it drives per image.
 * Bounded: at most SPARES buffers of at most SPARE_MAX_BYTES (a 5 MP photo) stay; larger
 * decodes are left to the GC.
 */
const SPARES = 2;
const SPARE_MAX_BYTES = 16 * 1024 * 1024;
const spares: Uint8Array[] = [];

function keepSpare(buffer: Uint8Array): void {
  if (buffer.byteLength > SPARE_MAX_BYTES) return;
  if (spares.length < SPARES) spares.push(buffer);
  else {
    const smallest = spares.reduce((k, b, i) => (b.byteLength < spares[k]!.byteLength ? i : k), 0);
    if (spares[smallest]!.byteLength < buffer.byteLength) spares[smallest] = buffer;
  }
}

/** Buffers kept for reuse in this thread (tests and the bench read it). */
export function spareBytes(): number {
  return spares.reduce((n, b) => n + b.byteLength, 0);
}

/**
 * Full-size RGB of a plain JPEG, in a reused buffer when `scratch` (call `release()` when done).
 * Undefined where the addon declines the file (CMYK/YCCK): the caller decodes it with sharp.
 * Failures leave as DetectErrors with the codes sharp's would have.
 */
export async function decodeJpegRgb(bytes: Uint8Array, maxPixels: number, scratch = false, orientation: Orientation = 1): Promise<RgbImage | undefined> {
  const addon = loadTurbojpeg();
  if (!addon.ok) throw new Error(`turbojpeg decode without the addon: ${addon.reason}`);
  const spare = scratch ? spares.pop() : undefined;
  try {
    const image = onThisThread ? addon.addon.decodeRgbSync(bytes, maxPixels, spare, orientation) : await addon.addon.decodeRgb(bytes, maxPixels, spare, orientation);
    if (!scratch) return image;
    const whole = image.data.buffer === spare?.buffer ? spare : new Uint8Array(image.data.buffer);
    let released = false;
    return { ...image, release: () => void (released || ((released = true), keepSpare(whole))) };
  } catch (err) {
    if (spare) keepSpare(spare);
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'JPEG_UNSUPPORTED') return undefined;
    if (code === 'JPEG_TOO_LARGE') throw new DetectError('IMAGE_TOO_LARGE', `Image exceeds the pixel limit: ${message}`, { cause: err });
    throw new DetectError('UNDECODABLE_IMAGE', `Image is truncated or corrupt: ${message}`, { cause: err });
  }
}
