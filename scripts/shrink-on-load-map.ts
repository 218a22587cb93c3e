/**
 * `tsx scripts/shrink-on-load-map.ts`: what the manifest's `decode.shrinkOnLoad` costs in
 * accuracy. Enlarges every coco128 image 4x (JPEG quality 95, in a temporary folder removed
 * afterwards; nothing derived is kept), then runs `detectfn eval` with yolov8n (../shared) on
 * that set twice, option off and on, and prints both mAPs and the change (README, Performance).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evalCommand } from '../handlers/cli/images.js';
import { readOrientedHeader } from '../infra/image/decoder.js';
import { enlargedJpeg } from '../test/helpers/images.js';
import { COCO128, MODELS } from '../test/helpers/shared-data.js';

const FACTOR = 4;
const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-coco128-x4-'));
try {
  const images = path.join(dir, 'images');
  const source = COCO128.images();
  const files = readdirSync(source).filter((f) => f.endsWith('.jpg')).sort();
  mkdirSync(images);
  for (const f of files) {
    const file = path.join(source, f);
    const { size } = await readOrientedHeader(readFileSync(file));
    writeFileSync(path.join(images, f), await enlargedJpeg(file, size.width * FACTOR, size.height * FACTOR));
  }
  const maps: Record<string, { map50: number; map50_95: number }> = {};
  for (const shrinkOnLoad of [false, true]) {
    const manifest = path.join(dir, `yolov8n-${shrinkOnLoad}.json`);
    writeFileSync(manifest, JSON.stringify({ name: 'yolov8n', source: { uri: MODELS.yolov8n() }, decode: { shrinkOnLoad }, batching: { batchSizes: [1] } }));
    process.stdout.write(`coco128 enlarged ${FACTOR}x, decode.shrinkOnLoad ${shrinkOnLoad}:\n`);
    maps[String(shrinkOnLoad)] = await evalCommand(['--model', manifest, '--images', images, '--labels', COCO128.labels()]);
  }
  const [off, on] = [maps.false!, maps.true!];
  process.stdout.write(`change: mAP50 ${(on.map50 - off.map50).toFixed(4)}, mAP50-95 ${(on.map50_95 - off.map50_95).toFixed(4)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
