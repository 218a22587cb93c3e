/**
 * @module bench/suites/core-normalize
 * Preprocessing speed: 640x640 HWC uint8 -> CHW float32 batch tensor, in ms per image (b8 = one
 * batch of 8 / 8). b1/b8 normalise into a reused tensor, as the engine worker does
 * (normalizeInto per slot): the normalisation cost the target is about. `.alloc` builds a fresh
 * tensor per batch with assembleBatch (the main-thread path): on this VM the first-touch page
 * faults of a new ~5 MB-per-slot buffer cost more than normalising it.
 * `.js` is the plain-JS fallback route, for comparison.
 */
import { assembleBatch, createBatchTensor } from '../../core/batch.js';
import { createNormalizer, type Normalizer } from '../../core/normalize.js';
import { type BenchResult, type BenchSuite, summarize, timeIt } from '../report.js';

const SIZE = { width: 640, height: 640 };
const TARGET = { target: { op: '<=' as const, value: 0.6 } };

function image(seed: number): Uint8Array {
  const px = new Uint8Array(SIZE.width * SIZE.height * 3);
  let s = seed;
  for (let i = 0; i < px.length; i++) px[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return px;
}

async function perImage(normalizer: Normalizer, batch: 1 | 8, reuse: boolean, n: number): Promise<number[]> {
  const items = Array.from({ length: batch }, (_, i) => ({ pixels: image(i + 1), size: SIZE }));
  const opts = {};
  const slot = 3 * SIZE.width * SIZE.height;
  const into = createBatchTensor(batch, [3, SIZE.height, SIZE.width], 'float32').data as Float32Array;
  const reused = () => items.forEach((item, i) => normalizer.normalizeInto(item.pixels, item.size, into, i * slot, opts));
  const samples = await timeIt(reuse ? reused : () => assembleBatch(items, [batch], opts, { normalizer }), n);
  return samples.map((ms) => ms / batch);
}

export const coreNormalizeSuite: BenchSuite = {
  name: 'core.normalize',
  async run(ctx) {
    const n = ctx.quick ? 30 : 300;
    const fast = createNormalizer();
    const js = createNormalizer({ route: 'js' });
    const note = (r: Normalizer, extra = '') => `route ${r.route}${extra}`;
    const out: BenchResult[] = [];
    const figure = async (name: string, r: Normalizer, batch: 1 | 8, reuse: boolean, extra: object, text = '') => {
      ctx.progress(name);
      out.push(summarize(name, 'ms/image', await perImage(r, batch, reuse, batch === 8 ? Math.ceil(n / 4) : n), { ...extra, note: note(r, text) }));
    };
    await figure('core.normalize.640.b1', fast, 1, true, TARGET, '; reused tensor');
    await figure('core.normalize.640.b8', fast, 8, true, TARGET, '; reused tensor, batch of 8 / 8');
    await figure('core.normalize.640.b1.alloc', fast, 1, false, {}, '; fresh tensor per batch');
    await figure('core.normalize.640.b8.alloc', fast, 8, false, {}, '; fresh tensor per batch of 8, / 8');
    await figure('core.normalize.640.b1.js', js, 1, true, {}, '; reused tensor');
    await figure('core.normalize.640.b8.js', js, 8, true, {}, '; reused tensor, batch of 8 / 8');
    return out;
  },
};
