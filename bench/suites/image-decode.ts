/**
 * @module bench/suites/image-decode
 * bus.jpg bytes -> 640x640 letterboxed RGB through the default decoder (libjpeg-turbo's decode
 * through the native addon where it is built, else sharp's; bit-exact cv2 INTER_LINEAR, WebAssembly SIMD route), beside its peer measured in the same
 * run: cv2.imdecode + Ultralytics LetterBox (bench/peers, python3-opencv), in alternating
 * rounds so that load on the machine hits both alike; `.vs_cv2` is cv2 ms / detectfn ms per
 * round (>= 1: detectfn no slower). CPU time per image (this process's threads, the peer's
 * process's threads) is beside it: on a shared machine wall time also measures the others'
 * load, and the GPU question is CPU cost per image. The same with sharp decoding the JPEG
 * (`DETECTFN_JPEG_DECODER=sharp`) runs in the same rounds. Then the parts (each decoder alone, each resize alone, the
 * JS reference resize, sharp's linear kernel) and a 12 MP JPEG (bus.jpg enlarged here) with and
 * without the manifest's `decode.shrinkOnLoad`.
 */
import { readFileSync } from 'node:fs';
import { planLetterbox, type Size } from '../../core/geometry.js';
import { createLinearResizer, letterboxLinear } from '../../core/resize.js';
import { createSharpDecoder } from '../../infra/image/decoder.js';
import { decodeFullRgb } from '../../infra/image/pipeline.js';
import { enlargedJpeg } from '../../test/helpers/images.js';
import { IMAGES } from '../../test/helpers/shared-data.js';
import { cv2PeerMissing, runCv2Peer } from '../peers/cv2-decode-letterbox.js';
import { type BenchResult, type BenchSuite, percentile, summarize, timeIt } from '../report.js';

const plan = (s: Size) => planLetterbox(s);
const median = (xs: readonly number[]) => percentile([...xs].sort((a, b) => a - b), 50);

export const imageDecodeSuite: BenchSuite = {
  name: 'image-decode',
  async run(ctx) {
    const n = ctx.quick ? 20 : 100;
    const rounds = ctx.quick ? 2 : 5;
    const bytes = new Uint8Array(readFileSync(IMAGES.bus()));
    const decoder = createSharpDecoder();
    const viaSharp = createSharpDecoder({ jpegDecoder: 'sharp' });
    const missing = cv2PeerMissing();
    if (missing) ctx.progress(missing);
    const full: number[] = [], decodeOnly: number[] = [], peerFull: number[] = [], peerDecode: number[] = [], ratios: number[] = [];
    const cpu: number[] = [], peerCpu: number[] = [], cpuRatios: number[] = [];
    const sharpFull: number[] = [], sharpCpu: number[] = [], sharpDecodeOnly: number[] = [];
    let threads = 0;
    for (let r = 0; r < rounds; r++) {
      ctx.progress(`round ${r + 1}/${rounds}: decode_letterbox x${n / rounds}, then the cv2 peer`);
      const c0 = process.cpuUsage();
      const ours = await timeIt(() => decoder.decode(bytes, plan), n / rounds);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000 / (n / rounds + Math.min(10, n / rounds))); // timeIt's warm-up runs count too
      full.push(...ours);
      decodeOnly.push(...(await timeIt(() => decodeFullRgb(bytes, 40_000_000, decoder.jpeg), n / rounds)));
      const s0 = process.cpuUsage();
      sharpFull.push(...(await timeIt(() => viaSharp.decode(bytes, plan), n / rounds)));
      const s = process.cpuUsage(s0);
      sharpCpu.push((s.user + s.system) / 1000 / (n / rounds + Math.min(10, n / rounds)));
      sharpDecodeOnly.push(...(await timeIt(() => decodeFullRgb(bytes, 40_000_000, 'sharp'), n / rounds)));
      if (missing) continue;
      const peer = await runCv2Peer(IMAGES.bus(), n / rounds);
      peerFull.push(...peer.decodeLetterboxMs);
      peerDecode.push(...peer.decodeMs);
      threads = peer.threads;
      ratios.push(median(peer.decodeLetterboxMs) / median(ours));
      peerCpu.push(peer.decodeLetterboxCpuMs);
      cpuRatios.push(peer.decodeLetterboxCpuMs / cpu[cpu.length - 1]!);
    }
    const results: BenchResult[] = [
      summarize('image.decode_letterbox.bus', 'ms', full, { note: `default path (${decoder.jpeg} decode + cv2-linear WASM, bit-exact)` }),
      summarize('image.decode.bus', 'ms', decodeOnly, { note: `${decoder.jpeg} full-size decode alone` }),
      summarize('image.decode_letterbox.bus.cpu', 'cpu ms', cpu, { note: 'process CPU time per image, all threads, per round' }),
      summarize('image.decode_letterbox.bus.via_sharp', 'ms', sharpFull, { note: 'same with DETECTFN_JPEG_DECODER=sharp (same pixels)' }),
      summarize('image.decode_letterbox.bus.via_sharp.cpu', 'cpu ms', sharpCpu, { note: 'same, process CPU time per image' }),
      summarize('image.decode.bus.sharp', 'ms', sharpDecodeOnly, { note: 'sharp full-size decode alone (orient, flatten, sRGB raw)' }),
    ];
    if (!missing) {
      results.push(
        summarize('image.decode_letterbox.bus.vs_cv2', 'ratio', ratios, { target: { op: '>=', value: 1 }, note: `cv2 ms / detectfn ms per round, ${rounds} alternating rounds` }),
        summarize('peer.cv2.decode_letterbox.bus', 'ms', peerFull, { note: `cv2.imdecode + LetterBox, same run (cv2 threads ${threads})` }),
        summarize('peer.cv2.decode.bus', 'ms', peerDecode, { note: 'cv2.imdecode alone, same run' }),
        summarize('image.decode_letterbox.bus.cpu_vs_cv2', 'ratio', cpuRatios, { note: `cv2 CPU ms / detectfn CPU ms per image (per-core cost), cv2 at ${threads} threads: ${median(peerCpu).toFixed(2)} cpu ms` }),
      );
    }
    return [...results, ...(await parts(ctx.quick ? 20 : 100, ctx.progress)), ...(await shrinkOnLoad(ctx.quick ? 4 : 12, ctx.progress))];
  },
};

/** The resize alone (WASM and JS reference), the pre-WASM path, and sharp's linear kernel. */
async function parts(n: number, progress: (m: string) => void): Promise<BenchResult[]> {
  const bytes = new Uint8Array(readFileSync(IMAGES.bus()));
  progress(`decode + JS reference letterbox x${n}`);
  const decodeJs = await timeIt(async () => {
    const rgb = await decodeFullRgb(bytes, 40_000_000, 'sharp');
    return letterboxLinear({ ...rgb, channels: 3 }, planLetterbox({ width: rgb.width, height: rgb.height }));
  }, n);
  const rgb = await decodeFullRgb(bytes, 40_000_000, 'sharp');
  const p = planLetterbox({ width: rgb.width, height: rgb.height });
  const resizer = createLinearResizer();
  progress(`cv2-linear resize only x${n} (${resizer.route}, js)`);
  const resize = await timeIt(() => letterboxLinear({ ...rgb, channels: 3 }, p, resizer), n);
  const resizeJs = await timeIt(() => letterboxLinear({ ...rgb, channels: 3 }, p), n);
  const linear = createSharpDecoder({ resize: 'linear' });
  progress(`sharp linear kernel x${n}`);
  const sharpLinear = await timeIt(() => linear.decode(bytes, plan), n);
  createSharpDecoder(); // restore the default concurrency setting
  return [
    summarize('image.decode_letterbox.bus.js_resize', 'ms', decodeJs, { note: 'sharp decode + JS reference resize (the path before the WASM kernel and the native decoder)' }),
    summarize('image.letterbox_cv2_linear.bus', 'ms', resize, { note: `${resizer.route} resize+pad only, 810x1080 -> 640x640` }),
    summarize('image.letterbox_cv2_linear.bus.js', 'ms', resizeJs, { note: 'JS reference resize+pad only' }),
    summarize('image.decode_letterbox.bus.sharp_linear', 'ms', sharpLinear, { note: 'libvips linear kernel, not cv2-exact (mean diff 3.0)' }),
  ];
}

/** A 12 MP JPEG (bus.jpg enlarged to 3000x4000) through the exact path and with shrinkOnLoad. */
async function shrinkOnLoad(n: number, progress: (m: string) => void): Promise<BenchResult[]> {
  const big = await enlargedJpeg(IMAGES.bus(), 3000, 4000);
  const decoder = createSharpDecoder();
  const runs = { exact: { wall: [] as number[], cpu: [] as number[] }, shrunk: { wall: [] as number[], cpu: [] as number[] } };
  const once = async (into: { wall: number[]; cpu: number[] }, hints: { shrinkOnLoad: boolean }) => {
    const c0 = process.cpuUsage();
    into.wall.push(...(await timeIt(() => decoder.decode(big, plan, hints), 1, 0)));
    const c = process.cpuUsage(c0);
    into.cpu.push((c.user + c.system) / 1000);
  };
  await decoder.decode(big, plan);
  await decoder.decode(big, plan, { shrinkOnLoad: true });
  // Alternate single runs so the two see the same load.
  progress(`12 MP JPEG x${n}, exact and shrinkOnLoad alternating`);
  for (let i = 0; i < n; i++) {
    await once(runs.exact, { shrinkOnLoad: false });
    await once(runs.shrunk, { shrinkOnLoad: true });
  }
  const speedUp = (k: 'wall' | 'cpu') => (median(runs.exact[k]) / median(runs.shrunk[k])).toFixed(2);
  return [
    summarize('image.decode_letterbox.12mp', 'ms', runs.exact.wall, { note: 'bus.jpg enlarged to 3000x4000, exact path (full decode + cv2-linear)' }),
    summarize('image.decode_letterbox.12mp.cpu', 'cpu ms', runs.exact.cpu, { note: 'same, process CPU time per image' }),
    summarize('image.decode_letterbox.12mp.shrink_on_load', 'ms', runs.shrunk.wall, { note: `decode.shrinkOnLoad (JPEG 1/4 in the DCT + libvips linear): ${speedUp('wall')}x faster` }),
    summarize('image.decode_letterbox.12mp.shrink_on_load.cpu', 'cpu ms', runs.shrunk.cpu, { note: `same, process CPU time per image: ${speedUp('cpu')}x less` }),
  ];
}
