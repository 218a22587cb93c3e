/**
 * Test images for the demo model, encoded by sharp: solid shapes on white, painted pixel by
 * pixel (no anti-aliasing), so the expected box of each shape is exact in source pixels.
 */
import sharp from 'sharp';

export type Box = [number, number, number, number];
export interface DrawnShape {
  readonly kind: 'rect' | 'circle';
  readonly label: 'red' | 'blue' | 'green' | 'yellow';
  readonly box: Box;
}

const RGB = { red: [230, 20, 20], blue: [20, 20, 230], green: [20, 190, 20], yellow: [235, 235, 20] } as const;

export async function shapeImage(width: number, height: number, shapes: readonly DrawnShape[], format: 'png' | 'jpeg'): Promise<Uint8Array> {
  const px = Buffer.alloc(width * height * 3, 255);
  for (const s of shapes) {
    const [x1, y1, x2, y2] = s.box;
    const cx = (x1 + x2) / 2, cy = (y1 + y2) / 2, rx = (x2 - x1) / 2, ry = (y2 - y1) / 2;
    for (let y = y1; y < y2; y++) {
      for (let x = x1; x < x2; x++) {
        if (s.kind === 'circle' && ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 > 1) continue;
        px.set(RGB[s.label], (y * width + x) * 3);
      }
    }
  }
  const img = sharp(px, { raw: { width, height, channels: 3 } });
  const out = format === 'png' ? await img.png().toBuffer() : await img.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
  return new Uint8Array(out);
}
