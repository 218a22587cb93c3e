import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { COCO128, IMAGES } from '../../test/helpers/shared-data.js';
import { readOrientedHeader } from './decoder.js';
import { readJpegHeader } from './jpeg-header.js';

const jpeg = (width: number, height: number, o: { orientation?: number; greyscale?: boolean; progressive?: boolean } = {}) => {
  let img = sharp({ create: { width, height, channels: 3, background: '#4080c0' } });
  if (o.greyscale) img = img.greyscale();
  img = img.jpeg({ progressive: o.progressive ?? false });
  return img.withMetadata(o.orientation ? { orientation: o.orientation } : {}).toBuffer();
};

describe('readJpegHeader: the same answer as sharp, or none', () => {
  it('reads bus.jpg and every coco128 image as sharp does', async () => {
    const dir = COCO128.images();
    const files = [IMAGES.bus(), ...readdirSync(dir).filter((f) => f.endsWith('.jpg')).map((f) => path.join(dir, f))];
    let answered = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      const fast = readJpegHeader(bytes);
      if (!fast) continue;
      answered++;
      const { format, size } = fast;
      expect({ format, size }, f).toEqual(await readOrientedHeader(bytes));
    }
    // It answers for (nearly) all of them, or it would not save anything.
    expect(answered).toBeGreaterThan(files.length * 0.9);
  });

  it('answers for baseline, progressive, greyscale and EXIF orientation 1 JPEGs', async () => {
    for (const bytes of [await jpeg(37, 21), await jpeg(37, 21, { progressive: true }), await jpeg(37, 21, { greyscale: true }), await jpeg(37, 21, { orientation: 1 })]) {
      expect(readJpegHeader(bytes)).toEqual({ format: 'jpeg', size: { width: 37, height: 21 }, orientation: 1 });
      expect(await readOrientedHeader(bytes)).toEqual({ format: 'jpeg', size: { width: 37, height: 21 } });
    }
  });

  it('answers every EXIF orientation 1-8 with the oriented size, as sharp does', async () => {
    for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const bytes = await jpeg(37, 21, { orientation });
      const swapped = orientation >= 5;
      expect(readJpegHeader(bytes), `orientation ${orientation}`).toEqual({ format: 'jpeg', size: swapped ? { width: 21, height: 37 } : { width: 37, height: 21 }, orientation });
      expect(await readOrientedHeader(bytes)).toEqual({ format: 'jpeg', size: readJpegHeader(bytes)!.size });
    }
  });

  it('leaves an orientation outside 1-8, or two EXIF blocks, to sharp', async () => {
    const bytes = Buffer.from(await jpeg(37, 21, { orientation: 6 }));
    const exif = bytes.indexOf(Buffer.from('Exif\0\0', 'latin1'));
    const tag = bytes.indexOf(Buffer.from([0x12, 0x01]), exif); // orientation tag, little-endian (sharp writes II)
    expect(tag).toBeGreaterThan(exif);
    const bad = Buffer.from(bytes);
    bad[tag + 8] = 9;
    expect(readJpegHeader(bad)).toBeUndefined();
    const app1 = exif - 4;
    const length = bytes.readUInt16BE(app1 + 2);
    const twice = Buffer.concat([bytes.subarray(0, app1 + 2 + length), bytes.subarray(app1, app1 + 2 + length), bytes.subarray(app1 + 2 + length)]);
    expect(readJpegHeader(twice)).toBeUndefined();
  });

  it('leaves non-JPEG and broken headers to sharp', async () => {
    const bytes = await jpeg(37, 21);
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).png().toBuffer();
    expect(readJpegHeader(png)).toBeUndefined();
    expect(readJpegHeader(new Uint8Array(0))).toBeUndefined();
    expect(readJpegHeader(bytes.subarray(0, 30))).toBeUndefined(); // cut before the frame header
    const noFrame = Buffer.from(bytes);
    const sof = noFrame.indexOf(Buffer.from([0xff, 0xc0]));
    noFrame[sof + 1] = 0xc3; // lossless: not one this reader answers for
    expect(readJpegHeader(noFrame)).toBeUndefined();
  });
});
