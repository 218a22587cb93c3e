/**
 * The manifest's `decode.shrinkOnLoad` with real parts: sharp/libvips, the OpenCV reference
 * (python3-opencv, test-time only), the real yolov8n through the registry. The input is a
 * 12 MP JPEG made here from bus.jpg (3000x4000, 3.7x; nothing derived is committed), so the
 * libvips route scales it by 1/4 in the DCT. What must hold:
 * - option off: pixels still identical to cv2.imread + LetterBox on that large JPEG;
 * - option on: the pixels change (so it really takes the other route), yet the detections are
 *   the same objects in the same place, mapped back to the 3000x4000 frame: every box of the
 *   normal path has a same-class partner with IoU >= 0.9, and the big boxes sit where bus.jpg's
 *   own boxes do, scaled by 3000/810.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planLetterbox } from '../../core/geometry.js';
import { boxIou } from '../../core/map.js';
import type { Detection } from '../../core/types.js';
import { createSharpDecoder } from '../../infra/image/decoder.js';
import { createModelRegistry, type ModelRegistry } from '../../infra/model/registry.js';
import { findCv2Python, pixelDiff, runCv2Reference } from '../helpers/cv2-reference.js';
import { enlargedJpeg } from '../helpers/images.js';
import { IMAGES, MODELS } from '../helpers/shared-data.js';

const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-shrink-'));
const bigFile = path.join(dir, 'bus-12mp.jpg');
const SCALE = 3000 / 810;
let big: Uint8Array;
let registry: ModelRegistry;

function manifest(name: string, shrinkOnLoad: boolean): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, source: { uri: MODELS.yolov8n() }, decode: { shrinkOnLoad }, batching: { batchSizes: [1] } }));
  return file;
}

beforeAll(async () => {
  big = await enlargedJpeg(IMAGES.bus(), 3000, 4000);
  writeFileSync(bigFile, big);
  registry = createModelRegistry({ models: [manifest('exact', false), manifest('shrink', true)], cacheDir: path.join(dir, 'cache') });
  await registry.whenReady();
}, 120_000);
afterAll(async () => {
  await registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** For each box of `want`, the best IoU among `got`'s boxes of the same class. */
function partnerIous(want: readonly Detection[], got: readonly Detection[]): number[] {
  return want.map((w) => Math.max(0, ...got.filter((g) => g.classId === w.classId).map((g) => boxIou(w.box, g.box))));
}

describe('decode pixels', () => {
  const python = findCv2Python();
  if (!python) throw new Error('python3 with cv2 is required for this test: run scripts/install-system-deps.sh (python3-opencv python3-numpy)');

  it('option off: identical to cv2 on the 12 MP JPEG; option on: a different (shrunk) decode of the same plan', async () => {
    const [ref] = runCv2Reference(python, 'letterbox', [bigFile]);
    const decoder = createSharpDecoder();
    const plan = (s: { width: number; height: number }) => planLetterbox(s);
    const exact = await decoder.decode(big, plan);
    const shrunk = await decoder.decode(big, plan, { shrinkOnLoad: true });
    expect(exact.plan).toEqual(shrunk.plan);
    expect(exact.plan.source).toEqual({ width: 3000, height: 4000 });
    expect(exact.plan.pad).toEqual(ref!.pad);
    const off = pixelDiff(exact.pixels, ref!.pixels);
    expect(off.mad).toBeLessThan(0.01);
    expect(off.max).toBeLessThanOrEqual(1);
    const on = pixelDiff(shrunk.pixels, ref!.pixels);
    expect(on.mad).toBeGreaterThan(0.1);
    // Same picture all the same: a mean difference of a few levels, not another image.
    expect(on.mad).toBeLessThan(8);
  });

  it('a decode worker takes the same route as the calling thread', async () => {
    const plan = (s: { width: number; height: number }) => planLetterbox(s);
    const inThread = await createSharpDecoder().decode(big, plan, { shrinkOnLoad: true });
    const pooled = createSharpDecoder({ workers: 1 });
    try {
      const inWorker = await pooled.decode(big, plan, { shrinkOnLoad: true });
      expect(Buffer.compare(inWorker.pixels, inThread.pixels)).toBe(0);
    } finally {
      await pooled.close();
    }
  });

  it('option on leaves images it cannot speed up on the exact path (bus.jpg is only 1.3x the input)', async () => {
    const bytes = new Uint8Array(readFileSync(IMAGES.bus()));
    const decoder = createSharpDecoder();
    const a = await decoder.decode(bytes, (s) => planLetterbox(s));
    const b = await decoder.decode(bytes, (s) => planLetterbox(s), { shrinkOnLoad: true });
    expect(Buffer.compare(a.pixels, b.pixels)).toBe(0);
  });
});

describe('detections through the manifest option', () => {
  it('match the exact path and map back to the 3000x4000 frame', async () => {
    const exact = (await registry.get('exact').detect(big)).detections;
    const shrunk = (await registry.get('shrink').detect(big)).detections;
    const small = (await registry.get('exact').detect(new Uint8Array(readFileSync(IMAGES.bus())))).detections;
    expect(exact.length).toBeGreaterThanOrEqual(4);
    // The manifest option reached the decoder: other pixels, so other scores.
    expect(shrunk.map((d) => d.score)).not.toEqual(exact.map((d) => d.score));
    // Confident objects (the bus and the people) are found by both routes, in the same place.
    const confident = exact.filter((d) => d.score > 0.5);
    expect(confident.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...partnerIous(confident, shrunk))).toBeGreaterThanOrEqual(0.9);
    // In original-image pixels: bus.jpg's own boxes, scaled by 3000/810.
    const scaled = small.filter((d) => d.score > 0.5).map((d) => ({ ...d, box: d.box.map((v) => v * SCALE) as typeof d.box }));
    expect(scaled.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...partnerIous(scaled, shrunk))).toBeGreaterThanOrEqual(0.9);
    expect(Math.max(...shrunk.flatMap((d) => [d.box[2], d.box[3]]))).toBeGreaterThan(2000);
  });
});
