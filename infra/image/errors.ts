/**
 * @module infra/image/errors
 * sharp reports every failure as a plain Error; callers need stable codes. The header is
 * checked before any pixel is decoded, so a decompression bomb (a few KB declaring 30000x30000)
 * is refused from its metadata alone.
 */
import { DetectError } from '../../core/errors/index.js';
import type { Size } from '../../core/types.js';

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
