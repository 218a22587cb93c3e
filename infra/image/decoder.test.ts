import { crc32 } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { type CropOptions, planCrop, planLetterbox, type Size } from '../../core/geometry.js';
import { findCv2Python, runCv2Reference, pixelDiff as stats } from '../../test/helpers/cv2-reference.js';
import { COCO128, IMAGES, repoRoot } from '../../test/helpers/shared-data.js';
import { loadConfig } from '../config.js';
import { usableCores } from '../host.js';
import { DetectError } from '../../core/errors.js';
import { createSharpDecoder, decodeWorkersFor, DEFAULT_DECODER_OPTIONS, readOrientedHeader, SPARE_PIXEL_BUFFERS } from './decoder.js';
import { readJpegHeader, RESIZE_MODES } from './pipeline.js';

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

// Crop decode.
/**
 * A classifier's crop through the real decoder (sharp decode, core's cv2-exact resize), in the
 * calling thread and in a real decode worker thread: the same path as the detector's letterbox.
 */

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

// Options.
describe('decode worker default', () => {
  it('is one per core beyond the event loop, none on one core, capped at 8', () => {
    expect([1, 2, 3, 4, 8, 9, 16, 64].map(decodeWorkersFor)).toEqual([0, 1, 2, 3, 7, 8, 8, 8]);
    expect(decodeWorkersFor(0)).toBe(0); // a cgroup reporting no full core still decodes in-thread
  });

  it('follows the cores this process may use when DETECTFN_DECODE_WORKERS is unset: a process pinned to one CPU decodes in-thread', () => {
    // The expected value comes from outside the code under test: taskset pins a real process to
    // one CPU, which os.cpus() would not see (it lists them all) but the default must.
    expect(loadConfig({}).DETECTFN_DECODE_WORKERS).toBeUndefined();
    const probe = "import('./infra/image/decoder.ts').then(async ({ createSharpDecoder, DEFAULT_DECODER_OPTIONS }) => { const d = createSharpDecoder(); console.log(JSON.stringify([d.options.workers, DEFAULT_DECODER_OPTIONS.workers])); await d.close(); });";
    const run = (cpus: string) => JSON.parse(execFileSync('taskset', ['-c', cpus, path.join(repoRoot, 'node_modules/.bin/tsx'), '--eval', probe], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }).trim().split('\n').pop()!) as [number, number];
    expect(run('0')).toEqual([0, 0]);
  });

  it('takes an explicit count, 0 included, and names the variable when it is bad', () => {
    expect(loadConfig({ DETECTFN_DECODE_WORKERS: '0' }).DETECTFN_DECODE_WORKERS).toBe(0);
    expect(createSharpDecoder({ workers: 0 }).options.workers).toBe(0);
    expect(() => loadConfig({ DETECTFN_DECODE_WORKERS: '65' })).toThrow(/DETECTFN_DECODE_WORKERS/);
  });
});

// Jpeg header.
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

// Decode threadpool.
/**
 * Decode workers decode on their own thread, not on the process-wide libuv pool: with the pool
 * (one thread here, UV_THREADPOOL_SIZE=1) held by a ~2 s job, an image still decodes through a
 * worker at once, while the event loop's own decode (workers: 0, which must not block its
 * thread) waits behind the job. Real child processes (the pool size is fixed per process).
 */

function order(workers: number): string[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/helpers/threadpool-probe.ts'), IMAGES.bus(), String(workers)], {
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return (JSON.parse(out.trim().split('\n').pop()!) as { order: string[] }).order;
}

describe('JPEG decode and the libuv thread pool', () => {
  it('a decode worker decodes while the pool is busy; the event loop path waits for the pool', () => {
    expect(order(1)).toEqual(['decode', 'threadpool job']);
    expect(order(0)).toEqual(['threadpool job', 'decode']);
  }, 60_000);
});

// Fidelity.
/**
 * Regression test against the reference preprocessing: OpenCV's own letterbox of bus.jpg and
 * zidane.jpg, computed at test time by test/helpers/cv2_reference.py (python3-opencv is a
 * test-time dependency, installed by scripts/install-system-deps.sh; no derived image is
 * committed). Bounds: measured bit-exact against OpenCV 4.6 on x86 (see FIDELITY.md); the test
 * allows a stray +-1 so another OpenCV build does not fail it, while sharp's own kernels
 * (mean diff 2.4-4 levels on bus.jpg) would.
 */

describe('letterbox fidelity against OpenCV (cv2.imread + LetterBox, INTER_LINEAR)', () => {
  const python = findCv2Python();
  if (!python) throw new Error('python3 with cv2 is required for this test: run scripts/install-system-deps.sh (python3-opencv python3-numpy)');
  const images = [IMAGES.bus(), IMAGES.zidane()];
  const refs = runCv2Reference(python, 'letterbox', images);

  it.each([0, 1])('default decoder matches cv2 on image %i (bus.jpg downscale, zidane.jpg exact 2x)', async (i) => {
    const out = await createSharpDecoder().decode(readFileSync(images[i]!), (s) => planLetterbox(s));
    const ref = refs[i]!;
    expect(out.plan.resized).toEqual(ref.resized);
    expect(out.plan.pad).toEqual(ref.pad);
    expect(out.pixels.length).toBe(ref.pixels.length);
    const { mad, max } = stats(out.pixels, ref.pixels);
    expect(mad).toBeLessThan(0.01);
    expect(max).toBeLessThanOrEqual(1);
  });

  it('would catch a drift: sharp lanczos3 is far from cv2 on bus.jpg', async () => {
    const out = await createSharpDecoder({ resize: 'lanczos3' }).decode(readFileSync(images[0]!), (s) => planLetterbox(s));
    expect(stats(out.pixels, refs[0]!.pixels).mad).toBeGreaterThan(1);
  });
});

// Decode workers.
/**
 * The decoder with decode worker threads (a WorkerPool, infra/workers.ts, whose own tests cover
 * dispatch, crashes and close with stand-in workers): the same pixels and the same typed errors
 * as in the calling thread, and pixel buffers written again once released.
 */

const twoWorkers = createSharpDecoder({ workers: 2 });
afterAll(() => twoWorkers.close());

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as DetectError);

describe('createSharpDecoder with decode workers', () => {
  it('gives the in-thread bytes for real photos, concurrently, and leaves the caller its input', async () => {
    for (const path of [IMAGES.bus(), IMAGES.zidane()]) {
      const bytes = new Uint8Array(readFileSync(path));
      const copy = bytes.slice();
      const [a, b, c] = await Promise.all([inThread.decode(bytes, (s) => planLetterbox(s)), twoWorkers.decode(bytes, (s) => planLetterbox(s)), twoWorkers.decode(bytes, (s) => planLetterbox(s))]);
      expect(Buffer.from(b.pixels).equals(Buffer.from(a.pixels))).toBe(true);
      expect(Buffer.from(c.pixels).equals(Buffer.from(a.pixels))).toBe(true);
      expect(b.plan).toEqual(a.plan);
      expect(bytes).toEqual(copy);
    }
  });

  it('brings decoder errors across the thread as DetectErrors with code, message and a caller stack', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#f80' } }).jpeg().toBuffer();
    const truncated = jpeg.subarray(0, jpeg.length - 40);
    const here = await failure(inThread.decode(truncated, (s) => planLetterbox(s)));
    const there = await failure(twoWorkers.decode(truncated, (s) => planLetterbox(s)));
    expect(there).toBeInstanceOf(DetectError);
    expect({ code: there?.code, status: there?.status, message: there?.message }).toEqual({ code: here?.code, status: here?.status, message: here?.message });
    expect(there?.code).toBe('UNDECODABLE_IMAGE');
    expect(there?.stack).toMatch(/decoder\.test\.ts/);
  });

  it('refuses work once closed', async () => {
    const closing = createSharpDecoder({ workers: 1 });
    await closing.decode(readFileSync(IMAGES.bus()), (s) => planLetterbox(s));
    await closing.close();
    expect(await failure(closing.decode(readFileSync(IMAGES.bus()), (s) => planLetterbox(s)))).toMatchObject({ code: 'NOT_READY' });
  });
});

describe('pixel buffer reuse (DecodedImage.release)', () => {
  const cocoDir = COCO128.images();
  const photos = readdirSync(cocoDir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 12).map((f) => new Uint8Array(readFileSync(path.join(cocoDir, f))));

  it.each([['a decode worker', 1], ['the calling thread', 0]])('in %s: released buffers are written again, and every image comes out bit-identical to a decoder that never reuses', async (_, workers) => {
    const reusing = createSharpDecoder({ workers });
    try {
      const fresh = await Promise.all(photos.map((b) => inThread.decode(b, (s) => planLetterbox(s))));
      // Never released: its buffer must never be written again, whatever decodes follow.
      const held = await reusing.decode(photos[0]!, (s) => planLetterbox(s));
      const heldCopy = held.pixels.slice();
      for (const [i, bytes] of photos.entries()) {
        const d = await reusing.decode(bytes, (s) => planLetterbox(s));
        expect(Buffer.from(d.pixels).equals(Buffer.from(fresh[i]!.pixels))).toBe(true);
        d.release?.();
        d.release?.(); // a second call must not offer the buffer twice
        expect(reusing.pixelReuse().spare).toBe(1);
      }
      expect(reusing.pixelReuse().reused).toBe(photos.length - 1); // the first had no released buffer to take
      // Twice the work at once: each image is written into a buffer of its own, never one shared.
      const both = await Promise.all([...photos, ...photos].map((b) => reusing.decode(b, (s) => planLetterbox(s))));
      both.forEach((d, i) => expect(Buffer.from(d.pixels).equals(Buffer.from(fresh[i % photos.length]!.pixels))).toBe(true));
      expect(Buffer.from(held.pixels).equals(Buffer.from(heldCopy))).toBe(true);
    } finally {
      await reusing.close();
    }
  });

  it(`keeps at most SPARE_PIXEL_BUFFERS (${SPARE_PIXEL_BUFFERS}) released buffers of a size`, async () => {
    const decoded = await Promise.all([...photos, ...photos].map((b) => twoWorkers.decode(b, (s) => planLetterbox(s))));
    expect(decoded.length).toBeGreaterThan(SPARE_PIXEL_BUFFERS);
    const before = twoWorkers.pixelReuse().spare;
    decoded.forEach((d) => d.release?.());
    expect(twoWorkers.pixelReuse().spare).toBe(SPARE_PIXEL_BUFFERS);
    expect(before).toBeLessThanOrEqual(SPARE_PIXEL_BUFFERS);
  });
});
