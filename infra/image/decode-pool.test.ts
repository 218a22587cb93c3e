import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { DetectError } from '../../core/errors.js';
import { planLetterbox } from '../../core/geometry.js';
import { COCO128, IMAGES } from '../../test/helpers/shared-data.js';
import { createDecodePool } from './decode-pool.js';
import { createSharpDecoder, SPARE_PIXEL_BUFFERS } from './decoder.js';

const inThread = createSharpDecoder({ workers: 0 });
const pooled = createSharpDecoder({ workers: 2 });
afterAll(() => pooled.close());

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as DetectError);

describe('createSharpDecoder with decode workers', () => {
  it('gives the in-thread bytes for real photos, concurrently, and leaves the caller its input', async () => {
    for (const path of [IMAGES.bus(), IMAGES.zidane()]) {
      const bytes = new Uint8Array(readFileSync(path));
      const copy = bytes.slice();
      const [a, b, c] = await Promise.all([inThread.decode(bytes, (s) => planLetterbox(s)), pooled.decode(bytes, (s) => planLetterbox(s)), pooled.decode(bytes, (s) => planLetterbox(s))]);
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
    const there = await failure(pooled.decode(truncated, (s) => planLetterbox(s)));
    expect(there).toBeInstanceOf(DetectError);
    expect({ code: there?.code, status: there?.status, message: there?.message }).toEqual({ code: here?.code, status: here?.status, message: here?.message });
    expect(there?.code).toBe('UNDECODABLE_IMAGE');
    expect(there?.stack).toMatch(/decode-pool\.test\.ts/);
  });
});

describe('createDecodePool', () => {
  const plan = planLetterbox({ width: 8, height: 8 }, { size: { width: 8, height: 8 } });
  const route = { mode: 'cv2-linear', limitInputPixels: 100, shrinkOnLoad: false, jpeg: 'sharp' } as const;

  it('fails the jobs of a worker that dies with WORKER_CRASHED, and refuses work once closed', async () => {
    // A stand-in worker that exits at once: the only way to make a real decode worker die on cue.
    const pool = createDecodePool(1, new URL('data:text/javascript,process.exit(3)'));
    const into = new Uint8Array(8 * 8 * 3); // a spent buffer travelling with the job dies with it
    const err = await failure(pool.letterbox(new Uint8Array(4), plan, route, into));
    expect(err).toMatchObject({ code: 'WORKER_CRASHED', message: 'decode worker crashed: exit code 3' });
    await pool.close();
    expect(await failure(pool.letterbox(new Uint8Array(4), plan, route))).toMatchObject({ code: 'NOT_READY' });
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
    const decoded = await Promise.all([...photos, ...photos].map((b) => pooled.decode(b, (s) => planLetterbox(s))));
    expect(decoded.length).toBeGreaterThan(SPARE_PIXEL_BUFFERS);
    const before = pooled.pixelReuse().spare;
    decoded.forEach((d) => d.release?.());
    expect(pooled.pixelReuse().spare).toBe(SPARE_PIXEL_BUFFERS);
    expect(before).toBeLessThanOrEqual(SPARE_PIXEL_BUFFERS);
  });
});
