/**
 * @module infra/image/jpeg-header
 * The size of a plain JPEG read in JavaScript from its markers, so the event loop does not pay
 * for a sharp metadata call (building sharp's options, a libuv round trip, libvips reading the
 * header) on every request when a decode worker does the decoding anyway.
 * It answers only where sharp's answer is certain to be the same: one 8-bit SOF0/1/2 frame with
 * 1 or 3 components before the first scan, and either no EXIF or one EXIF block whose IFD0 says
 * orientation 1 (a rotated photo, or anything unusual, goes to sharp as before). Otherwise it
 * returns undefined and the caller asks sharp.
 */
import type { Size } from '../../core/types.js';

const EXIF = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"
const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

/** True when `bytes` holds an EXIF block whose IFD0 carries orientation 1; false for anything else. */
function exifSaysUpright(bytes: Uint8Array, start: number, end: number): boolean {
  const t = start + EXIF.length;
  if (t + 8 > end) return false;
  const le = bytes[t] === 0x49 && bytes[t + 1] === 0x49;
  if (!le && !(bytes[t] === 0x4d && bytes[t + 1] === 0x4d)) return false;
  const u16 = (at: number) => (le ? bytes[at]! | (bytes[at + 1]! << 8) : (bytes[at]! << 8) | bytes[at + 1]!);
  const u32 = (at: number) => (le ? u16(at) + u16(at + 2) * 65536 : u16(at) * 65536 + u16(at + 2));
  if (u16(t + 2) !== 42) return false;
  const ifd = t + u32(t + 4);
  if (ifd + 2 > end) return false;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) return false;
    if (u16(e) !== ORIENTATION_TAG) continue;
    return u16(e + 2) === SHORT && u32(e + 4) === 1 && u16(e + 8) === 1;
  }
  return false; // no orientation in IFD0: libexif may take one from another IFD
}

const startsWith = (bytes: Uint8Array, at: number, prefix: readonly number[]) => prefix.every((b, i) => bytes[at + i] === b);

/** `{ format: 'jpeg', size }` when the answer is certain (see the module note), else undefined. */
export function readJpegHeader(bytes: Uint8Array): { format: 'jpeg'; size: Size } | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let size: Size | undefined;
  let exifSeen = false;
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
    if (marker === 0xda) return size ? { format: 'jpeg', size } : undefined; // start of scan: the header is complete
    if (marker === 0xe1 && startsWith(bytes, data, EXIF)) {
      if (exifSeen || !exifSaysUpright(bytes, data, end)) return undefined;
      exifSeen = true;
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
