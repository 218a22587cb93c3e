/**
 * Encoded test images with shapes at known places, for end-to-end checks with the demo model
 * (which finds solid red, green, blue and yellow shapes on a plain background).
 */
import sharp from 'sharp';

export type Rgb = readonly [number, number, number];

export interface RectSpec {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly color: Rgb;
}

export const RGB = { red: [230, 20, 20], green: [20, 190, 20], blue: [20, 20, 230], yellow: [240, 230, 20], white: [255, 255, 255] } as const;

/** A width x height image of `background` with axis-aligned rectangles painted in order. */
export async function rectanglesImage(
  width: number,
  height: number,
  rects: readonly RectSpec[],
  format: 'png' | 'jpeg' = 'png',
  background: Rgb = RGB.white,
): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) raw.set(background, i * 3);
  for (const r of rects) {
    for (let y = r.y1; y < r.y2; y++) for (let x = r.x1; x < r.x2; x++) raw.set(r.color, (y * width + x) * 3);
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  const out = format === 'png' ? await img.png().toBuffer() : await img.jpeg({ quality: 95 }).toBuffer();
  return new Uint8Array(out);
}

/** Largest absolute coordinate difference between two xyxy boxes. */
export function boxError(a: readonly number[], b: readonly number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

/**
 * `file` enlarged to width x height and saved as a JPEG (quality 95): a large photo made at
 * test or bench time from a small one (shrink-on-load tests and figures), never committed.
 */
export async function enlargedJpeg(file: string, width: number, height: number): Promise<Uint8Array> {
  return new Uint8Array(await sharp(file).autoOrient().resize(width, height, { fit: 'fill' }).jpeg({ quality: 95 }).toBuffer());
}
