/**
 * @module infra/image/pipeline
 * The pixel pass of a decode: encoded bytes to the plan's letterboxed (or cropped) RGB, run in a
 * decode worker thread (`startDecodeThread`, the thread's whole logic) or, with no decode
 * workers, in the caller's thread. Its parts, in the order a JPEG meets them:
 * - The JPEG header read in JavaScript (`readJpegHeader`), for the size and EXIF orientation.
 * - The native JPEG decoder: libjpeg-turbo's TurboJPEG API with the accurate DCT
 *   (infra/image/native/turbojpeg.c, built into dist/native/ by `npm run build`). Same pixels as
 *   sharp and cv2.imread (libjpeg's default decode), at about half sharp's CPU per image, because
 *   nothing of libvips' pipeline runs around it. It takes plain JPEGs only (what `readJpegHeader`
 *   is certain of: 8-bit, 1 or 3 components, a clear EXIF orientation, applied after the decode
 *   as cv2.imread does); everything else, and every JPEG where the addon is not built, goes
 *   through sharp. `DETECTFN_JPEG_DECODER` picks: `auto` (the addon where it loads), `turbojpeg`
 *   (start-up fails without it: a deployment that measured its speed gets it or does not
 *   start), `sharp`.
 * - The routes from full-size pixels to the plan (cv2-exact resize, or a sharp kernel).
 * - sharp's errors mapped to stable codes (`mapSharpError`), the same from a worker or not.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import { DetectError } from '../../core/errors.js';
import type { CropPlan, LetterboxPlan, Size } from '../../core/geometry.js';
import { createLinearResizer, cropLinear, cropWindow, letterboxLinear, type LinearResizer } from '../../core/resize.js';
import { freeNow } from '../host.js';
import { moved, taskFunction } from '../workers.js';

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

// Native jpeg.
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

// The ways a LetterboxPlan is executed, each one sharp pipeline from encoded bytes:
// - cv2-linear: orient -> flatten -> sRGB 8-bit full-size raw, then core's bit-exact OpenCV
//   INTER_LINEAR resize writes straight into the padded buffer;
// - a sharp kernel: orient -> flatten -> resize -> extend with the pad grey -> sRGB 8-bit raw,
//   all inside libvips;
// - shrink-on-load (a manifest's `decode.shrinkOnLoad`, large JPEGs only): the sharp route with
//   libvips' JPEG load scaled in the DCT (1/2, 1/4 or 1/8) and its linear kernel for the rest.
// The full-size decode of a plain JPEG (readJpegHeader: 8-bit, 1 or 3 components, a clear EXIF orientation) is
// libjpeg-turbo's own where `jpeg` is 'turbojpeg' (the native decoder, below): the same pixels as
// sharp's, at about half the CPU; every other input, and every JPEG under 'sharp', is sharp's.
// Every route outputs the plan's target, and the plan is made from the ORIGINAL oriented size,
// so boxes map back through the same plan whichever route made the pixels.
// Alpha is flattened onto the pad grey, so transparent areas look like padding (cv2.imread
// would instead drop alpha and expose whatever colour hides under it). Greyscale, CMYK,
// palette and 16-bit inputs all leave as 3-channel 8-bit sRGB. Embedded ICC profiles are
// ignored, as cv2.imread ignores them (applying them moved bus.jpg by 1.67 levels on average).
export const SHARP_KERNELS = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos3'] as const;
export type SharpKernel = (typeof SHARP_KERNELS)[number];
export type ResizeMode = 'cv2-linear' | SharpKernel;
export const RESIZE_MODES: readonly ResizeMode[] = ['cv2-linear', ...SHARP_KERNELS];

/** How a plan's pixels are made; the same for every image of a decoder. */
export interface PixelRoute {
  readonly mode: ResizeMode;
  readonly limitInputPixels: number;
  /** JPEG shrink-on-load (the caller has checked it applies: `shrinkOnLoadApplies`). */
  readonly shrinkOnLoad: boolean;
  /** Who decodes a plain JPEG at full size. */
  readonly jpeg: JpegDecoder;
}

function grey(v: number): { r: number; g: number; b: number } {
  return { r: v, g: v, b: v };
}

function oriented(bytes: Uint8Array, limitInputPixels: number, padValue: number): Sharp {
  return sharp(bytes, { limitInputPixels, ignoreIcc: true }).autoOrient().flatten({ background: grey(padValue) });
}

async function toRgb(image: Sharp): Promise<RgbImage> {
  const { data, info } = await image.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`sharp produced ${info.channels} channels instead of 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * Full-size oriented RGB: libjpeg-turbo's for a plain JPEG under 'turbojpeg', else sharp's.
 * `scratch`: the caller reads it once and calls `release?.()` (the buffer is then reused).
 */
async function decodeFull(bytes: Uint8Array, limitInputPixels: number, padValue: number, jpeg: JpegDecoder, scratch = false): Promise<RgbImage> {
  const header = jpeg === 'turbojpeg' ? readJpegHeader(bytes) : undefined;
  const direct = header ? await decodeJpegRgb(bytes, limitInputPixels, scratch, header.orientation) : undefined;
  return direct ?? toRgb(oriented(bytes, limitInputPixels, padValue));
}

/** Runs `use` on a scratch full-size decode, then hands its buffer back. */
async function withFullDecode<T>(bytes: Uint8Array, limitInputPixels: number, padValue: number, jpeg: JpegDecoder, use: (full: RgbImage) => T): Promise<T> {
  const full = await decodeFull(bytes, limitInputPixels, padValue, jpeg, true);
  try {
    return use(full);
  } finally {
    full.release?.();
  }
}

/**
 * Whether shrink-on-load changes anything for this image: sharp scales a JPEG in its DCT only
 * when the whole shrink is at least 3x (factor 2 from 3x, 4 from 5x, 8 from 9x; it backs off a
 * factor when the shrink is within 1 of it). Below that the cv2-exact route is kept: the option
 * would cost fidelity and save nothing.
 */
export function shrinkOnLoadApplies(format: string | undefined, source: Size, resized: Size): boolean {
  return format === 'jpeg' && Math.min(source.width / resized.width, source.height / resized.height) >= 3;
}

/**
 * Letterboxed HWC RGB of `plan.target` size; `resizer` (one per thread) runs the cv2-linear mode.
 * `route.shrinkOnLoad` takes the libvips route. `into`: a spent pixel buffer the cv2-linear
 * route writes into when its length fits (the libvips routes return libvips' own memory).
 */
export async function runLetterbox(bytes: Uint8Array, plan: LetterboxPlan, route: PixelRoute, resizer: LinearResizer, into?: Uint8Array): Promise<Uint8Array> {
  const { mode, limitInputPixels, shrinkOnLoad } = route;
  if (mode === 'cv2-linear' && !shrinkOnLoad) {
    return withFullDecode(bytes, limitInputPixels, plan.padValue, route.jpeg, (full) => letterboxLinear({ ...full, channels: 3 }, plan, resizer, into));
  }
  const { pad, resized } = plan;
  // fastShrinkOnLoad false still lets libvips shrink a JPEG in its DCT when that leaves a 2x
  // resample; true lets it shrink as far as it can (the whole point of the option).
  const image = oriented(bytes, limitInputPixels, plan.padValue)
    .resize(resized.width, resized.height, { kernel: mode === 'cv2-linear' ? 'linear' : mode, fit: 'fill', fastShrinkOnLoad: shrinkOnLoad })
    .extend({ top: pad.top, bottom: pad.bottom, left: pad.left, right: pad.right, background: grey(plan.padValue) });
  return (await toRgb(image)).data;
}

/** What a decoder executes: a detector's letterbox or a classifier's crop (`kind: 'crop'`). */
export type ImagePlan = LetterboxPlan | CropPlan;

export const isCropPlan = (plan: ImagePlan): plan is CropPlan => (plan as { kind?: string }).kind === 'crop';

/**
 * A classifier's input of `plan.target` size: the same decode, then the same cv2-exact resize
 * (or sharp kernel) to `plan.resized`, then core's crop window with the pad grey around it.
 */
export async function runCrop(bytes: Uint8Array, plan: CropPlan, route: PixelRoute, resizer: LinearResizer, into?: Uint8Array): Promise<Uint8Array> {
  const { mode, limitInputPixels } = route;
  if (mode === 'cv2-linear') return withFullDecode(bytes, limitInputPixels, plan.padValue, route.jpeg, (full) => cropLinear({ ...full, channels: 3 }, plan, resizer, into));
  const { width, height } = plan.resized;
  const resized = await toRgb(oriented(bytes, limitInputPixels, plan.padValue).resize(width, height, { kernel: mode, fit: 'fill', fastShrinkOnLoad: false }));
  return cropWindow({ ...resized, channels: 3 }, plan, into);
}

/** Runs either plan (`into` as for runLetterbox); shrink-on-load is a letterbox route only (a classifier's crop stays exact). */
export function runPlan(bytes: Uint8Array, plan: ImagePlan, route: PixelRoute, resizer: LinearResizer, into?: Uint8Array): Promise<Uint8Array> {
  return isCropPlan(plan) ? runCrop(bytes, plan, route, resizer, into) : runLetterbox(bytes, plan, route, resizer, into);
}

/** Full-size oriented RGB, no resize (fidelity measurements, rendering, the decode bench). */
export function decodeFullRgb(bytes: Uint8Array, limitInputPixels: number, jpeg: JpegDecoder): Promise<RgbImage> {
  return decodeFull(bytes, limitInputPixels, 0, jpeg);
}

// sharp reports every failure as a plain Error; callers need stable codes.
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

// A decode worker thread: runs the pixel pass (sharp, or libjpeg-turbo for a plain JPEG, then the
// cv2-exact letterbox: core/resize, WASM) for the main thread, so neither the decode nor the
// letterbox nor sharp's JS side ever holds the service's event loop. Several images at once:
// sharp's work is async. The encoded bytes come in a buffer of their own (copied once on the
// main thread, then transferred); the pixels are written into `into`, a spent buffer the request
// brings (a SharedArrayBuffer: the caller's memory, so nothing goes back but the answer), or
// come back transferred. A failure goes back as the DetectError's code, message and details
// (infra/workers.ts), so the caller gets the same typed error as from the in-thread path.
export interface DecodeTask {
  readonly bytes: Uint8Array;
  readonly plan: ImagePlan;
  readonly route: PixelRoute;
  /** A spent pixel buffer to write into when its length fits (shared when on a SharedArrayBuffer, else transferred). */
  readonly into?: Uint8Array;
}

/** `reused`: the pixels are in the task's `into`; `pixels` is absent when that buffer is shared (the caller has it). */
export interface DecodeReply {
  readonly pixels?: Uint8Array;
  readonly reused: boolean;
}

/**
 * Makes this thread a decode thread; returns the per-image function (the worker module's
 * default export). Decodes run on this thread (decodeJpegOnThisThread): N workers decode N
 * images at once, not queued on the process-wide libuv pool.
 */
export function startDecodeThread(): (task: DecodeTask) => Promise<unknown> {
  const resizer = createLinearResizer();
  decodeJpegOnThisThread();
  return taskFunction(async (task: DecodeTask) => {
    let out: Uint8Array;
    try {
      out = await runPlan(task.bytes, task.plan, task.route, resizer, task.into);
    } catch (err) {
      if (task.into) freeNow([task.into]);
      throw err;
    }
    const reused = task.into !== undefined && task.into === out;
    // A spent buffer the route did not write into (a libvips route, another size) is garbage here.
    if (task.into && !reused) freeNow([task.into]);
    if (reused && out.buffer instanceof SharedArrayBuffer) return { reused } satisfies DecodeReply;
    const pixels = transferablePixels(out);
    return moved({ pixels, reused } satisfies DecodeReply, [pixels.buffer as ArrayBuffer]);
  }, mapSharpError);
}

/**
 * The pixels in an ArrayBuffer of their own that can be transferred. sharp's kernels return memory
 * libvips allocated (a Buffer slice, or an external ArrayBuffer seen as a plain Uint8Array), which
 * Node 24 refuses to transfer ("Cannot transfer object of unsupported type") where Node 20
 * allowed it: moving it into a new ArrayBuffer tells which, and those are copied.
 */
function transferablePixels(out: Uint8Array): Uint8Array {
  if (Buffer.isBuffer(out) || out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength) return new Uint8Array(out);
  try {
    return new Uint8Array(structuredClone(out.buffer as ArrayBuffer, { transfer: [out.buffer as ArrayBuffer] }));
  } catch {
    return new Uint8Array(out);
  }
}
