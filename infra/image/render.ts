/**
 * @module infra/image/render
 * `?render=true` and the inspector's model's-eye view: images made for people to look at. The
 * source image (EXIF-oriented, as the boxes are) with boxes and labels drawn as an SVG overlay
 * that sharp composites, as JPEG; raw RGB as lossless PNG (so what a client reads back is
 * exactly what was computed). Labels come from model metadata, so they are escaped.
 */
import sharp from 'sharp';
import { DetectError, expectInteger } from '../../core/errors.js';
import type { Size } from '../../core/geometry.js';
import type { Detection } from '../../core/types.js';
import { checkHeader, checkInput, readOrientedHeader } from './decoder.js';
import { mapSharpError } from './pipeline.js';

// The SVG overlay renderDetections composites onto the image: one outlined box per detection
// and a filled label tab ("person 0.87") above it, coloured by class. Labels come from model
// metadata, so they are escaped: an SVG is XML, and a crafted name must not inject markup.
/** Ultralytics' 20-colour palette, so renders look like the reference tools' output. */
const PALETTE = [
  'FF3838', 'FF9D97', 'FF701F', 'FFB21D', 'CFD231', '48F90A', '92CC17', '3DDB86', '1A9334', '00D4BB',
  '2C99A8', '00C2FF', '344593', '6473FF', '0018EC', '8438FF', '520085', 'CB38FF', 'FF95C8', 'FF37C7',
];

export function classColour(classId: number): string {
  return `#${PALETTE[((classId % PALETTE.length) + PALETTE.length) % PALETTE.length]}`;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface OverlayStyle {
  /** Box outline width in pixels; scaled with the image when undefined. */
  readonly lineWidth?: number | undefined;
  /** Label font size in pixels; scaled with the image when undefined. */
  readonly fontSize?: number | undefined;
}

export function overlaySvg(size: Size, detections: readonly Detection[], style: OverlayStyle = {}): string {
  const line = style.lineWidth ?? Math.max(2, Math.round((size.width + size.height) / 600));
  const font = style.fontSize ?? Math.max(10, Math.round(line * 5));
  const parts = detections.map((d) => {
    const [x1, y1, x2, y2] = d.box.map((v) => Math.round(v * 10) / 10);
    const colour = classColour(d.classId);
    const text = escapeXml(`${d.label} ${d.score.toFixed(2)}`);
    const tabH = font + 4;
    const tabY = y1! - tabH >= 0 ? y1! - tabH : y1!;
    const tabW = Math.round(text.length * font * 0.6) + 6;
    return (
      `<rect x="${x1}" y="${y1}" width="${x2! - x1!}" height="${y2! - y1!}" fill="none" stroke="${colour}" stroke-width="${line}"/>` +
      `<rect x="${x1}" y="${tabY}" width="${tabW}" height="${tabH}" fill="${colour}"/>` +
      `<text x="${x1! + 3}" y="${tabY + font}" font-family="sans-serif" font-size="${font}" fill="#FFFFFF">${text}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size.width}" height="${size.height}">${parts.join('')}</svg>`;
}

// `renderDetections`: the source image (EXIF-oriented, as the boxes are) with boxes and
// labels drawn, as JPEG. The overlay is an SVG composited by sharp in the same pipeline.
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

// Raw HWC RGB <-> PNG, for the inspector's model's-eye view and its synthetic warmup image.
// PNG is lossless, so the pixels a client reads back are exactly the ones computed.
export async function encodeRgbPng(pixels: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const png = await sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}
