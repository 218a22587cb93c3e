/**
 * `tsx scripts/image-fidelity.ts`: measures how close each decoder resize mode comes to the
 * reference preprocessing (cv2.imread + Ultralytics LetterBox, INTER_LINEAR), and how far
 * sharp's JPEG decoder (mozjpeg) is from OpenCV's (libjpeg-turbo). Prints the markdown tables
 * of infra/image/FIDELITY.md. Needs python3-opencv (cross-check only).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LetterboxPlan } from '../core/geometry.js';
import { letterboxLinear } from '../core/resize.js';
import { createSharpDecoder } from '../infra/image/decoder.js';
import { decodeFullRgb, RESIZE_MODES } from '../infra/image/pipeline.js';
import { type Cv2Row, findCv2Python, runCv2Reference } from '../test/helpers/cv2-reference.js';
import { COCO128, IMAGES } from '../test/helpers/shared-data.js';

function diff(a: Uint8Array, b: Uint8Array): { mad: number; max: number; changed: number } {
  let sum = 0, max = 0, changed = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
    if (d) changed++;
  }
  return { mad: sum / a.length, max, changed: changed / a.length };
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
const planOf = (r: Cv2Row): LetterboxPlan => ({
  source: r.source, resized: r.resized!, target: { width: 640, height: 640 }, scale: r.resized!.width / r.source.width, pad: r.pad!, padValue: 114,
});

const python = findCv2Python();
if (!python) throw new Error('python3 with cv2 not found: apt-get install python3-opencv python3-numpy');
const dir = COCO128.images();
const coco = readdirSync(dir).sort().map((f) => path.join(dir, f));
// The 18 coco128 images that need resizing (long side != 640), plus 2 that are copied as is.
const resizing = ['049', '077', '078', '136', '143', '260', '309', '359', '360', '474', '490', '491', '536', '560', '581', '590', '623', '643'];
const picked = coco.filter((f) => resizing.some((id) => f.endsWith(`000000000${id}.jpg`)));
const images = [IMAGES.bus(), IMAGES.zidane(), ...picked, coco[0]!, coco[1]!];
const refs = runCv2Reference(python, 'letterbox', images);
const decs = runCv2Reference(python, 'decode', images);
const bytes = images.map((f) => new Uint8Array(readFileSync(f)));

console.log(`| path | mean abs diff (all ${images.length}) | max diff | bus.jpg mean / max | bus.jpg ms (median of 15) |`);
console.log('|---|---|---|---|---|');
{
  const ds = refs.map((r, i) => diff(letterboxLinear({ data: decs[i]!.pixels, ...decs[i]!.source, channels: 3 }, planOf(r)), r.pixels));
  console.log(`| cv2-linear on cv2's own decode (resize only) | ${median(ds.map((d) => d.mad)).toFixed(4)} (median), ${Math.max(...ds.map((d) => d.mad)).toFixed(4)} (worst) | ${Math.max(...ds.map((d) => d.max))} | ${ds[0]!.mad.toFixed(4)} / ${ds[0]!.max} | - |`);
}
for (const mode of RESIZE_MODES) {
  const dec = createSharpDecoder({ resize: mode });
  const ds: ReturnType<typeof diff>[] = [];
  for (let i = 0; i < images.length; i++) {
    const out = await dec.decode(bytes[i]!, () => planOf(refs[i]!));
    ds.push(diff(out.pixels, refs[i]!.pixels));
  }
  const ms: number[] = [];
  for (let k = 0; k < 18; k++) {
    const t0 = performance.now();
    await dec.decode(bytes[0]!, () => planOf(refs[0]!));
    if (k >= 3) ms.push(performance.now() - t0);
  }
  console.log(`| ${mode} | ${median(ds.map((d) => d.mad)).toFixed(4)} (median), ${Math.max(...ds.map((d) => d.mad)).toFixed(4)} (worst) | ${Math.max(...ds.map((d) => d.max))} | ${ds[0]!.mad.toFixed(4)} / ${ds[0]!.max} | ${median(ms).toFixed(2)} |`);
}

console.log('\n| JPEG decode, full size: sharp (mozjpeg) vs cv2.imread | mean abs diff | max diff | values changed |');
console.log('|---|---|---|---|');
const full: ReturnType<typeof diff>[] = [];
for (let i = 0; i < images.length; i++) full.push(diff((await decodeFullRgb(bytes[i]!, 40_000_000, 'sharp')).data, decs[i]!.pixels));
console.log(`| ${images.length} images: median / worst | ${median(full.map((d) => d.mad)).toFixed(4)} / ${Math.max(...full.map((d) => d.mad)).toFixed(4)} | ${Math.max(...full.map((d) => d.max))} | ${(100 * median(full.map((d) => d.changed))).toFixed(2)}% (median) |`);
const worst = full.reduce((w, d, i) => (d.mad > full[w]!.mad ? i : w), 0);
console.log(`| worst: ${path.basename(images[worst]!)} | ${full[worst]!.mad.toFixed(4)} | ${full[worst]!.max} | ${(100 * full[worst]!.changed).toFixed(2)}% |`);
console.log(`| bus.jpg | ${full[0]!.mad.toFixed(4)} | ${full[0]!.max} | ${(100 * full[0]!.changed).toFixed(2)}% |`);
