/**
 * @module infra/image/overlay-svg
 * The SVG overlay renderDetections composites onto the image: one outlined box per detection
 * and a filled label tab ("person 0.87") above it, coloured by class. Labels come from model
 * metadata, so they are escaped: an SVG is XML, and a crafted name must not inject markup.
 */
import type { Detection, Size } from '../../core/types.js';

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
