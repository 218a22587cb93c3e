/**
 * @module infra/image/render
 * `renderDetections`: the source image (EXIF-oriented, as the boxes are) with boxes and
 * labels drawn, as JPEG. The overlay is an SVG composited by sharp in the same pipeline.
 */
import sharp from 'sharp';
import { DetectError } from '../../core/errors/index.js';
import type { Detection } from '../../core/types.js';
import { expectInteger } from '../../core/validate/index.js';
import { readOrientedHeader } from './decoder.js';
import { checkHeader, checkInput, mapSharpError } from './errors.js';
import { overlaySvg, type OverlayStyle } from './overlay-svg.js';

export interface RenderOptions extends OverlayStyle {
  /** JPEG quality 1..100. @default 85 */
  readonly quality?: number;
  /** Same guard as the decoder's. @default 40_000_000 */
  readonly maxInputPixels?: number;
}

export async function renderDetections(bytes: Uint8Array, detections: readonly Detection[], options: RenderOptions = {}): Promise<Uint8Array> {
  const quality = expectInteger('quality', options.quality ?? 85, 1, 100);
  const maxPixels = expectInteger('maxInputPixels', options.maxInputPixels ?? 40_000_000, 1);
  checkInput(bytes, undefined);
  try {
    const { format, size } = await readOrientedHeader(bytes);
    checkHeader(format, size, maxPixels);
    const svg = Buffer.from(overlaySvg(size, detections, options));
    const out = await sharp(bytes, { limitInputPixels: maxPixels })
      .autoOrient()
      .composite([{ input: svg, top: 0, left: 0 }])
      .jpeg({ quality })
      .toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch (err) {
    throw err instanceof DetectError ? err : mapSharpError(err);
  }
}
