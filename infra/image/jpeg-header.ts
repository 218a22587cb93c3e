/**
 * @module infra/image/jpeg-header
 * The size of a plain JPEG read in JavaScript from its markers, so the event loop does not pay
 * for a sharp metadata call (building sharp's options, a libuv round trip, libvips reading the
 * header) on every request when a decode worker does the decoding anyway.
 * It answers only where sharp's answer is certain to be the same: one 8-bit SOF0/1/2 frame with
 * 1 or 3 components before the first scan, and either no EXIF or one EXIF block whose IFD0
 * holds one orientation 1-8 (the size it answers is the oriented one, as sharp's autoOrient; the
 * orientation goes with it for the native decoder). Anything unusual returns undefined and the
 * caller asks sharp.
 */
import type { Size } from '../../core/types.js';

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
