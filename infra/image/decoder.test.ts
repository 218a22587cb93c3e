import sharp from 'sharp';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { planLetterbox } from '../../core/letterbox/index.js';
import type { Size } from '../../core/types.js';
import { createSharpDecoder, RESIZE_MODES } from './index.js';

/** Keeps the oriented size: resized = target = source, no padding. */
const identity = (source: Size) => ({ source, resized: source, target: source, scale: 1, pad: { left: 0, top: 0, right: 0, bottom: 0 }, padValue: 114 });
const at = (px: Uint8Array, width: number, x: number, y: number) => [...px.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
const solid = (width: number, height: number, colour: string) =>
  sharp({ create: { width, height, channels: 3, background: colour } });

/** A valid PNG whose IHDR is rewritten to declare width x height (a decompression bomb). */
async function pngDeclaring(width: number, height: number): Promise<Uint8Array> {
  const png = Buffer.from(await solid(1, 1, '#000').png().toBuffer());
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

const decoder = createSharpDecoder();

describe('createSharpDecoder: pixels', () => {
  it('applies EXIF orientation 6 before planning and placing pixels', async () => {
    // Stored 40x20: left half red, right half blue. Orientation 6 = rotate 90 degrees clockwise.
    const left = await solid(20, 20, '#ff0000').png().toBuffer();
    const jpeg = await solid(40, 20, '#0000ff').composite([{ input: left, left: 0, top: 0 }]).jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    let seen: Size | undefined;
    const out = await decoder.decode(jpeg, (s) => ((seen = s), identity(s)));
    expect(seen).toEqual({ width: 20, height: 40 });
    expect(out.source).toEqual({ width: 20, height: 40 });
    expect(out.pixels.length).toBe(20 * 40 * 3);
    const [rTop, , bTop] = at(out.pixels, 20, 10, 5);
    const [rBottom, , bBottom] = at(out.pixels, 20, 10, 35);
    expect(rTop).toBeGreaterThan(200); // red went to the top
    expect(bTop).toBeLessThan(60);
    expect(bBottom).toBeGreaterThan(200);
    expect(rBottom).toBeLessThan(60);
  });

  it.each(RESIZE_MODES)('letterboxes to the plan target in mode %s, padding with the pad grey', async (resize) => {
    const bytes = await solid(100, 50, '#204060').png().toBuffer();
    const out = await createSharpDecoder({ resize }).decode(bytes, (s) => planLetterbox(s, { size: { width: 64, height: 64 } }));
    expect(out.plan.resized).toEqual({ width: 64, height: 32 });
    expect(out.pixels.length).toBe(64 * 64 * 3);
    expect(at(out.pixels, 64, 32, 2)).toEqual([114, 114, 114]);
    expect(at(out.pixels, 64, 32, 32)).toEqual([0x20, 0x40, 0x60]);
    expect(out.decodeMs).toBeGreaterThan(0);
  });

  it('flattens alpha onto the pad grey', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const out = await decoder.decode(png, identity);
    expect(at(out.pixels, 4, 1, 1)).toEqual([114, 114, 114]);
  });

  it('turns greyscale, 16-bit, palette and CMYK input into 8-bit RGB', async () => {
    const inputs = [
      await solid(4, 4, '#808080').toColourspace('b-w').png().toBuffer(),
      await solid(4, 4, '#ff8000').toColourspace('rgb16').png().toBuffer(),
      await solid(4, 4, '#ff8000').png({ palette: true }).toBuffer(),
      await solid(4, 4, '#ff8000').toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer(),
    ];
    expect((await sharp(inputs[0]).metadata()).channels).toBe(1);
    expect((await sharp(inputs[1]).metadata()).depth).toBe('ushort');
    const px = await Promise.all(inputs.map(async (b) => at((await decoder.decode(b, identity)).pixels, 4, 2, 2)));
    expect(px[0]).toEqual([128, 128, 128]);
    expect(px[1]).toEqual([255, 128, 0]);
    expect(px[2]).toEqual([255, 128, 0]);
    expect(Math.abs(px[3]![0]! - 255) + Math.abs(px[3]![1]! - 128) + px[3]![2]!).toBeLessThan(40);
  });
});

describe('createSharpDecoder: errors', () => {
  const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string; message: string }) => `${e.code}: ${e.message}`);

  it('maps each failure to a stable code with a message naming the problem', async () => {
    const jpeg = await solid(64, 64, '#ff8000').jpeg().toBuffer();
    expect(await code(decoder.decode(new Uint8Array(0), identity))).toBe('EMPTY_BODY: Image body is empty');
    expect(await code(decoder.decode(Buffer.from('not an image at all'), identity))).toMatch(/^UNSUPPORTED_MEDIA_TYPE: .*not an image/);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect(await code(decoder.decode(svg, identity))).toMatch(/^UNSUPPORTED_MEDIA_TYPE: Unsupported image format svg/);
    expect(await code(decoder.decode(jpeg.subarray(0, jpeg.length >> 1), identity))).toMatch(/^UNDECODABLE_IMAGE: Image is truncated or corrupt/);
    expect(await code(decoder.decode(jpeg.subarray(0, jpeg.length - 40), identity))).toMatch(/^UNDECODABLE_IMAGE: .*premature end/);
    const small = createSharpDecoder({ maxBytes: 100 });
    expect(await code(small.decode(jpeg, identity))).toMatch(/^PAYLOAD_TOO_LARGE: Image is \d+ bytes, more than the limit of 100/);
  });

  it('refuses a decompression bomb from its header, without planning or decoding it', async () => {
    const bomb = await pngDeclaring(30000, 30000);
    expect(bomb.length).toBeLessThan(100);
    let planned = false;
    const err = await decoder.decode(bomb, (s) => ((planned = true), identity(s))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IMAGE_TOO_LARGE', status: 413, details: { width: 30000, height: 30000 } });
    expect((err as Error).message).toMatch(/30000x30000 \(900000000 pixels\), more than the limit of 40000000/);
    expect(planned).toBe(false);
  });

  it('validates its options', () => {
    expect(() => createSharpDecoder({ resize: 'bicubic' as never })).toThrow(/Expected one of cv2-linear, nearest/);
    expect(() => createSharpDecoder({ maxInputPixels: 0 })).toThrow(/maxInputPixels/);
  });
});
