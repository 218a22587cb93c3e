/**
 * @module bench/suites/core-decode-nms
 * Postprocessing speed: yolov8 decode + NMS (core/decode, core/nms) of the real raw
 * [1, 84, 8400] output of yolov8n on bus.jpg, computed once here with onnxruntime-node.
 * conf 0.25 is the predict setting, conf 0.001 the evaluation one (thousands of candidates).
 * Peers on the same tensor: torch+torchvision 0.70 / 1.16 ms, numpy 0.99 / 13.1 ms.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { DEFAULT_DETECT_OPTIONS, nms, normalizeInto, planLetterbox, yolov8Decoder, type TensorMap } from '../../core/index.js';
import { createSharpDecoder } from '../../infra/image/index.js';
import { IMAGES, MODELS } from '../../test/helpers/shared-data.js';
import { summarize, timeIt, type BenchResult, type BenchSuite } from '../report.js';

async function busOutput(): Promise<TensorMap> {
  const image = await createSharpDecoder().decode(readFileSync(IMAGES.bus()), (s) => planLetterbox(s));
  const input = new Float32Array(3 * 640 * 640);
  normalizeInto(image.pixels, image.plan.target, input, 0);
  const session = await ort.InferenceSession.create(MODELS.yolov8n(), { executionProviders: ['cpu'] });
  try {
    const out = (await session.run({ images: new ort.Tensor('float32', input, [1, 3, 640, 640]) })).output0!;
    return { output0: { dtype: 'float32', dims: out.dims, data: (out.data as Float32Array).slice() } };
  } finally {
    await session.release();
  }
}

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
    for (const { conf, target, peers } of cases) {
      const name = `core.decode_nms.conf${conf}`;
      ctx.progress(name);
      const options = { ...DEFAULT_DETECT_OPTIONS, conf };
      const run = () => nms(yolov8Decoder.decode(outputs, 0, { conf }), options).length;
      const candidates = yolov8Decoder.decode(outputs, 0, { conf }).count;
      const samples = await timeIt(run, n, 50);
      results.push(
        summarize(name, 'ms', samples, {
          target: { op: '<=', value: target },
          note: `${candidates} candidates -> ${run()} kept; peers ${peers} ms`,
        }),
      );
    }
    return results;
  },
};
