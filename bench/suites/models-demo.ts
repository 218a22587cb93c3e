/**
 * @module bench/suites/models-demo
 * Model-file handling: generating the demo model, its CPU inference time per batch size
 * (one intra-op thread, the shared machine has two cores), and reading yolov8n.onnx's
 * interface and metadata with protobufjs, which every model start pays once.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { crossCheckManifest } from '../../infra/model/cross-check.js';
import { parseManifest } from '../../infra/model/manifest.js';
import { readModelInfo } from '../../infra/onnx/model-info.js';
import { buildDemoModel, DEMO_SPEC } from '../../models/demo/demo-model.js';
import { COLORS, drawShapes } from '../../models/demo/demo-model.js';
import { MODELS } from '../../test/helpers/shared-data.js';
import { type BenchResult, type BenchSuite, summarize, timeIt } from '../report.js';

export const modelsDemoSuite: BenchSuite = {
  name: 'models.demo',
  async run(ctx) {
    const results: BenchResult[] = [];
    ctx.progress('models.demo.build');
    results.push(summarize('models.demo.build', 'ms', await timeIt(() => buildDemoModel(), ctx.quick ? 5 : 20, 2)));

    const S = DEMO_SPEC.size;
    const image = drawShapes(S, COLORS.padGrey, [
      { kind: 'rect', x1: 20, y1: 30, x2: 80, y2: 70, color: COLORS.red },
      { kind: 'ellipse', cx: 200, cy: 160, rx: 50, ry: 30, color: COLORS.blue },
    ]);
    const session = await ort.InferenceSession.create(buildDemoModel(), { intraOpNumThreads: 1, executionProviders: ['cpu'] });
    try {
      for (const batch of [1, 8]) {
        const name = `models.demo.infer.b${batch}`;
        ctx.progress(name);
        const data = new Float32Array(batch * image.length);
        for (let i = 0; i < batch; i++) data.set(image, i * image.length);
        const feeds = { images: new ort.Tensor('float32', data, [batch, 3, S, S]) };
        const samples = await timeIt(() => session.run(feeds), ctx.quick ? 10 : 50, 3);
        const perImage = summarize(name, 'ms', samples).median / batch;
        results.push(summarize(name, 'ms/batch', samples, { note: `${S}x${S}, 1 thread, ${perImage.toFixed(2)} ms/image` }));
      }
    } finally {
      await session.release();
    }

    ctx.progress('models.onnx.read_and_crosscheck');
    const bytes = readFileSync(MODELS.yolov8n());
    const manifest = parseManifest({ name: 'yolov8n', source: { uri: 's3://models/yolov8n.onnx' } }, 'bench');
    const samples = await timeIt(() => crossCheckManifest(manifest, readModelInfo(bytes)), ctx.quick ? 10 : 50, 3);
    results.push(summarize('models.onnx.read_and_crosscheck', 'ms', samples, { note: `yolov8n.onnx ${(bytes.length / 1e6).toFixed(1)} MB` }));
    return results;
  },
};
