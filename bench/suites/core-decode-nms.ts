/**
 * @module bench/suites/core-decode-nms
 * Postprocessing speed: yolov8 decode + NMS (core/decode, core/postprocess) of the real raw
 * [1, 84, 8400] output of yolov8n on bus.jpg, computed once here with onnxruntime-node.
 * conf 0.25 is the predict setting, conf 0.001 the evaluation one (thousands of candidates).
 * Peers on the same tensor: torch+torchvision 0.70 / 1.16 ms, numpy 0.99 / 13.1 ms.
 * The target figures use the decoder the service uses (createDecoders(): WebAssembly SIMD
 * best-class scan over tiles of rows copied into WASM memory); `.js` figures are the JS
 * fallback route. The two routes alternate sample by sample, so load hits both alike.
 */
import { createYolov8Decoder, type Yolov8Decoder } from '../../core/decode.js';
import { DEFAULT_DETECT_OPTIONS } from '../../core/options.js';
import { nms } from '../../core/postprocess.js';
import type { TensorMap } from '../../core/types.js';
import { IMAGES } from '../../test/helpers/shared-data.js';
import { openYolov8n, yolov8nOutputs } from '../../test/helpers/yolov8n-direct.js';
import { type BenchResult, type BenchSuite, summarize } from '../report.js';

async function busOutput(): Promise<TensorMap> {
  const session = await openYolov8n();
  try {
    return (await yolov8nOutputs(session, IMAGES.bus())).outputs;
  } finally {
    await session.release();
  }
}

const ROUTE_NOTES = {
  'wasm-simd': 'route wasm-simd (class rows copied into WASM memory in 256 KiB tiles, f32x4 compare with conf, best/class update only on a hit)',
  js: 'route js fallback (flat scan, 8 scores per branch)',
} as const;

export const coreDecodeNmsSuite: BenchSuite = {
  name: 'core.decode_nms',
  async run(ctx) {
    ctx.progress('running yolov8n on bus.jpg once');
    const outputs = await busOutput();
    const n = ctx.quick ? 50 : 500;
    const results: BenchResult[] = [];
    const cases = [
      { conf: 0.25, target: 0.6, peers: 'torch+torchvision 0.70, numpy 0.99' },
      { conf: 0.001, target: 1.1, peers: 'torch+torchvision 1.16, numpy 13.1' },
    ];
    const routes = [createYolov8Decoder(), createYolov8Decoder({ route: 'js' })];
    for (const { conf, target, peers } of cases) {
      const name = `core.decode_nms.conf${conf}`;
      ctx.progress(name);
      const options = { ...DEFAULT_DETECT_OPTIONS, conf };
      const runs = routes.map((d) => () => nms(d.decode(outputs, 0, { conf }), options).length);
      const candidates = routes[0]!.decode(outputs, 0, { conf }).count;
      const samples = interleaved(runs, n, 50);
      routes.forEach((d: Yolov8Decoder, i) => {
        const kept = runs[i]!();
        const note = `${ROUTE_NOTES[d.route]}; ${candidates} candidates -> ${kept} kept; peers ${peers} ms`;
        results.push(summarize(i === 0 ? name : `${name}.${d.route}`, 'ms', samples[i]!, i === 0 ? { target: { op: '<=', value: target }, note } : { note }));
      });
    }
    return results;
  },
};

/** Milliseconds per call of each fn, taking turns so that machine load falls on all of them alike. */
function interleaved(fns: readonly (() => unknown)[], n: number, warmup: number): number[][] {
  const samples = fns.map((): number[] => []);
  for (let i = 0; i < warmup + n; i++) {
    fns.forEach((fn, k) => {
      const t0 = performance.now();
      fn();
      if (i >= warmup) samples[k]!.push(performance.now() - t0);
    });
  }
  return samples;
}
