import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import sharp from 'sharp';
import { planLetterbox } from '../../core/geometry.js';
import { findCv2Python, runCv2Reference } from '../../test/helpers/cv2-reference.js';
import { enlargedJpeg } from '../../test/helpers/images.js';
import { COCO128, IMAGES } from '../../test/helpers/shared-data.js';
import { createSharpDecoder } from './decoder.js';
import { decodeFullRgb, decodeJpegRgb, loadTurbojpeg, readJpegHeader, resolveJpegDecoder, spareBytes } from './pipeline.js';

/**
 * The native JPEG decoder (dist/native/turbojpeg.node, built by `npm run build` from
 * infra/image/native/turbojpeg.c; scripts/install-system-deps.sh installs its C toolchain and
 * libturbojpeg0-dev, so a missing addon fails here rather than skipping). Its promise is "the
 * same bytes as cv2.imread", so every comparison is exact: one level anywhere fails it.
 */

const LIMIT = 40_000_000;
const bus = new Uint8Array(readFileSync(IMAGES.bus()));

/** Index of the first differing byte, or -1: a count alone would hide where a shift starts. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

async function failure(p: Promise<unknown>): Promise<{ code?: string; message?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message?: string };
  }
  throw new Error('expected a failure');
}

describe('the libjpeg-turbo addon', () => {
  it('is built and loads, and auto picks it', () => {
    const loaded = loadTurbojpeg();
    expect(loaded.ok ? 'loaded' : loaded.reason).toBe('loaded');
    expect(resolveJpegDecoder('auto')).toBe('turbojpeg');
    expect(resolveJpegDecoder('sharp')).toBe('sharp');
  });

  it('decodes the same bytes as cv2.imread: bus.jpg, zidane.jpg and every plain JPEG of coco128', async () => {
    const python = findCv2Python();
    if (!python) throw new Error('python3 with cv2 is required for this test: run scripts/install-system-deps.sh');
    const coco = readdirSync(COCO128.images()).filter((f) => f.endsWith('.jpg')).map((f) => path.join(COCO128.images(), f));
    const files = [IMAGES.bus(), IMAGES.zidane(), ...coco];
    const plain = files.filter((f) => readJpegHeader(readFileSync(f)) !== undefined);
    expect(plain.length).toBeGreaterThan(100); // the addon must actually be what decodes them
    const refs = runCv2Reference(python, 'decode', plain);
    const mismatched: string[] = [];
    for (let i = 0; i < plain.length; i++) {
      const ours = await decodeFullRgb(readFileSync(plain[i]!), LIMIT, 'turbojpeg');
      const at = firstDifference(ours.data, refs[i]!.pixels);
      if (at >= 0 || ours.width !== refs[i]!.source.width) mismatched.push(`${path.basename(plain[i]!)} at byte ${at}`);
    }
    expect(mismatched).toEqual([]);
  });

  describe('encodings a camera or a pipeline produces', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'detectfn-tj-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const variants: [string, () => Promise<Buffer>][] = [
      ['4:4:4', () => sharp(bus).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer()],
      ['4:2:0 progressive', () => sharp(bus).jpeg({ quality: 80, progressive: true }).toBuffer()],
      ['mozjpeg (trellis, optimised scans)', () => sharp(bus).jpeg({ mozjpeg: true }).toBuffer()],
      ['greyscale', () => sharp(bus).greyscale().jpeg().toBuffer()],
      ['odd size 333x217', () => sharp(bus).resize(333, 217, { fit: 'fill' }).jpeg({ quality: 70 }).toBuffer()],
      ['1x1', () => sharp(bus).resize(1, 1).jpeg().toBuffer()],
    ];
    it.each(variants)('%s: equal to cv2.imread and to sharp', async (_name, make) => {
      const python = findCv2Python()!;
      const bytes = new Uint8Array(await make());
      expect(readJpegHeader(bytes)).toBeDefined();
      const file = path.join(dir, 'v.jpg');
      writeFileSync(file, bytes);
      const [ref] = runCv2Reference(python, 'decode', [file]);
      const ours = await decodeFullRgb(bytes, LIMIT, 'turbojpeg');
      const viaSharp = await decodeFullRgb(bytes, LIMIT, 'sharp');
      expect(firstDifference(ours.data, ref!.pixels)).toBe(-1);
      expect(firstDifference(ours.data, viaSharp.data)).toBe(-1);
    });
  });

  it('applies every EXIF orientation after the decode: the same bytes as cv2.imread and sharp, letterboxed the same', async () => {
    const python = findCv2Python()!;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'detectfn-orient-'));
    try {
      const orientations = [1, 2, 3, 4, 5, 6, 7, 8] as const;
      // Odd sizes and 4:2:0 chroma: an off-by-one or a rotate-before-decode shows.
      const encoded = await Promise.all(orientations.map(async (orientation) => new Uint8Array(await sharp(bus).resize(203, 131, { fit: 'fill' }).jpeg({ quality: 80 }).withMetadata({ orientation }).toBuffer())));
      const files = orientations.map((o, i) => {
        const file = path.join(dir, `o${o}.jpg`);
        writeFileSync(file, encoded[i]!);
        return file;
      });
      const refs = runCv2Reference(python, 'decode', files);
      for (const [i, orientation] of orientations.entries()) {
        const bytes = encoded[i]!;
        const ref = refs[i];
        expect(readJpegHeader(bytes)?.orientation).toBe(orientation);
        const ours = await decodeFullRgb(bytes, LIMIT, 'turbojpeg');
        const viaSharp = await decodeFullRgb(bytes, LIMIT, 'sharp');
        expect({ width: ours.width, height: ours.height }, `orientation ${orientation}`).toEqual(ref!.source);
        expect(firstDifference(ours.data, ref!.pixels), `orientation ${orientation} vs cv2`).toBe(-1);
        expect(firstDifference(ours.data, viaSharp.data), `orientation ${orientation} vs sharp`).toBe(-1);
        const [a, b] = await Promise.all([createSharpDecoder({ workers: 1 }), createSharpDecoder({ workers: 0, jpegDecoder: 'sharp' })].map(async (d) => {
          const out = await d.decode(bytes, (s) => planLetterbox(s, { size: { width: 96, height: 96 } }));
          await d.close();
          return out;
        }));
        expect(a!.source).toEqual(b!.source);
        expect(firstDifference(a!.pixels, b!.pixels)).toBe(-1);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('declines what it cannot turn into RGB (CMYK), which then decodes through sharp', async () => {
    const cmyk = new Uint8Array(await sharp(bus).resize(64, 48).toColourspace('cmyk').jpeg().toBuffer());
    expect(await decodeJpegRgb(cmyk, LIMIT)).toBeUndefined();
    const out = await createSharpDecoder({ workers: 0 }).decode(cmyk, (s) => planLetterbox(s));
    expect(out.source).toEqual({ width: 64, height: 48 });
  });

  it('refuses a truncated JPEG and junk after the SOI as UNDECODABLE_IMAGE, like sharp, in a worker and in the thread', async () => {
    const truncated = bus.subarray(0, bus.length >> 1);
    for (const decoder of [createSharpDecoder({ workers: 0 }), createSharpDecoder({ workers: 1 }), createSharpDecoder({ workers: 0, jpegDecoder: 'sharp' })]) {
      const err = await failure(decoder.decode(truncated, (s) => planLetterbox(s)));
      expect(err).toMatchObject({ code: 'UNDECODABLE_IMAGE', message: expect.stringMatching(/^Image is truncated or corrupt: .*(premature|end)/i) });
      await decoder.close();
    }
    expect(await failure(decodeJpegRgb(new Uint8Array([0xff, 0xd8, 1, 2, 3]), LIMIT))).toMatchObject({ code: 'UNDECODABLE_IMAGE' });
  });

  it('reuses its full-size buffers, a bounded few, without one decode ever seeing the pixels of another', async () => {
    const decoder = createSharpDecoder({ workers: 0 });
    const files = [IMAGES.bus(), IMAGES.zidane(), ...readdirSync(COCO128.images()).slice(0, 6).map((f) => path.join(COCO128.images(), f))];
    const inputs = files.map((f) => new Uint8Array(readFileSync(f)));
    const fresh = await Promise.all(inputs.map((b) => decodeFullRgb(b, LIMIT, 'sharp')));
    const expected = fresh.map((f) => planLetterbox({ width: f.width, height: f.height }));
    const sequential: Uint8Array[] = [];
    for (const b of inputs) sequential.push((await decoder.decode(b, (s) => planLetterbox(s))).pixels);
    expect(spareBytes()).toBeGreaterThan(0);
    // All at once, twice over: buffers are taken and handed back while others are in flight.
    const concurrent = await Promise.all([...inputs, ...inputs].map((b) => decoder.decode(b, (s) => planLetterbox(s))));
    concurrent.forEach((out, i) => {
      expect(out.plan).toEqual(expected[i % inputs.length]);
      expect(firstDifference(out.pixels, sequential[i % inputs.length]!), files[i % inputs.length]).toBe(-1);
    });
    // Bounded: two spares of at most 16 MiB; a 12 MP decode (36 MB) is not kept.
    await decoder.decode(await enlargedJpeg(IMAGES.bus(), 3000, 4000), (s) => planLetterbox(s));
    expect(spareBytes()).toBeLessThanOrEqual(2 * 16 * 1024 * 1024);
    expect(spareBytes()).toBeLessThan(3000 * 4000 * 3);
  });

  it('enforces the pixel limit itself, before allocating', async () => {
    expect(await failure(decodeJpegRgb(bus, 810 * 1080 - 1))).toMatchObject({ code: 'IMAGE_TOO_LARGE', message: expect.stringMatching(/810x1080/) });
    expect((await decodeJpegRgb(bus, 810 * 1080))?.width).toBe(810);
  });

  it('survives corrupted JPEGs: every mutation ends in pixels of the planned size or a typed refusal, and the decode worker lives on', async () => {
    const small = new Uint8Array(await sharp(bus).resize(96, 128).jpeg({ quality: 85, progressive: false }).toBuffer());
    const decoder = createSharpDecoder({ workers: 1 });
    expect(decoder.jpeg).toBe('turbojpeg');
    const smallPlan = (s: { width: number; height: number }) => planLetterbox(s, { size: { width: 64, height: 64 } });
    const before = await decoder.decode(small, smallPlan);
    const outcomes = { pixels: 0, undecodable: 0, byLibjpeg: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(small.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.option(fc.nat(small.length), { freq: 3 }), async (edits, cut) => {
        const bytes = small.slice(0, cut === null ? small.length : Math.max(4, cut));
        for (const [at, value] of edits) if (at >= 2 && at < bytes.length) bytes[at] = value; // keep the SOI: otherwise it is not routed here
        try {
          const out = await decoder.decode(bytes, smallPlan);
          expect(out.pixels.length).toBe(64 * 64 * 3);
          outcomes.pixels++;
        } catch (err) {
          expect((err as { code?: string }).code).toMatch(/^(UNDECODABLE_IMAGE|UNSUPPORTED_MEDIA_TYPE|IMAGE_TOO_LARGE)$/);
          outcomes.undecodable++;
          if (/^Image is truncated or corrupt: /.test((err as Error).message)) outcomes.byLibjpeg++;
        }
      }),
      { numRuns: 300, seed: 11 },
    );
    // libjpeg itself refused most of them (the header check alone would not have), and the same
    // worker still decodes the intact file to the same pixels afterwards.
    expect(outcomes.byLibjpeg).toBeGreaterThan(150);
    const after = await decoder.decode(small, smallPlan);
    expect(firstDifference(after.pixels, before.pixels)).toBe(-1);
    await decoder.close();
  });
});
