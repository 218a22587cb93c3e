/**
 * A classifier's crop through the real decoder (sharp decode, core's cv2-exact resize), in the
 * calling thread and in a real decode worker thread: the same path as the detector's letterbox.
 */
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { planCrop, type CropOptions } from '../../core/crop/index.js';
import { createSharpDecoder } from './index.js';

const inThread = createSharpDecoder({ workers: 0 });
const pooled = createSharpDecoder({ workers: 1 });
afterAll(() => pooled.close());

const S64 = { width: 64, height: 64 };
const opts = (o: Partial<CropOptions> = {}): CropOptions => ({ size: S64, resize: 'shorter', padValue: 0, ...o });

/** Lossless random pixels, so a window of them can be compared byte for byte. */
async function noisePng(width: number, height: number): Promise<{ png: Uint8Array; raw: Uint8Array }> {
  const raw = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 7919 + (i >> 3) * 31) % 256);
  return { png: await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer(), raw };
}

const row = (px: Uint8Array, width: number, y: number, x0: number, x1: number) => Array.from(px.subarray((y * width + x0) * 3, (y * width + x1) * 3));

describe('decoder: crop plans', () => {
  it.each([['in-thread', inThread], ['decode worker', pooled]] as const)('%s: takes the centre window of an image already at the resized size, byte for byte', async (_, decoder) => {
    // 80x64, shorter side 64: no resampling; left = round((80 - 64) / 2) = 8.
    const { png, raw } = await noisePng(80, 64);
    const out = await decoder.decode(png, (s) => planCrop(s, opts()));
    expect(out.plan.crop).toEqual({ left: 8, top: 0, width: 64, height: 64 });
    for (const y of [0, 31, 63]) expect(row(out.pixels, 64, y, 0, 64)).toEqual(row(raw, 80, y, 8, 72));
  });

  it('pads where the resized image is smaller than the crop, with the pad value', async () => {
    // 64x40 with resizeTo 40: resized 64x40 (no resampling), 24 rows of padding: 12 above, 12 below.
    const { png, raw } = await noisePng(64, 40);
    const out = await inThread.decode(png, (s) => planCrop(s, opts({ resizeTo: 40, padValue: 9 })));
    expect(out.plan.pad).toEqual({ left: 0, top: 12, right: 0, bottom: 12 });
    expect(row(out.pixels, 64, 11, 0, 64)).toEqual(new Array(64 * 3).fill(9));
    expect(row(out.pixels, 64, 12, 0, 64)).toEqual(row(raw, 64, 0, 0, 64));
    expect(row(out.pixels, 64, 51, 0, 64)).toEqual(row(raw, 64, 39, 0, 64));
    expect(row(out.pixels, 64, 52, 0, 64)).toEqual(new Array(64 * 3).fill(9));
  });

  it.each(['cv2-linear', 'linear'] as const)('resizes then crops (%s): blue side bands of a 600x200 image fall outside the centre crop', async (resize) => {
    // Shorter side 200 -> 64: resized 192x64, crop x 64..128 = source x 200..400, which is red.
    const red = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const png = await sharp({ create: { width: 600, height: 200, channels: 3, background: '#0000ff' } }).composite([{ input: red, left: 200, top: 0 }]).png().toBuffer();
    const out = await createSharpDecoder({ resize }).decode(png, (s) => planCrop(s, opts()));
    expect(out.plan.resized).toEqual({ width: 192, height: 64 });
    const reds = Array.from({ length: 64 * 64 }, (_, i) => out.pixels[i * 3]!);
    const blues = Array.from({ length: 64 * 64 }, (_, i) => out.pixels[i * 3 + 2]!);
    // The outermost columns blend with the blue band by at most a pixel's worth of the kernel.
    expect(reds.filter((v) => v < 250).length).toBeLessThanOrEqual(2 * 64);
    expect(Math.max(...blues.filter((_, i) => i % 64 > 0 && i % 64 < 63))).toBe(0);
  });
});
