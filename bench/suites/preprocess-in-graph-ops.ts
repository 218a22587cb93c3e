/**
 * @module bench/suites/preprocess-in-graph-ops
 * The normalisation alone, both ways, one thread each, so the model's own cost (which dwarfs
 * it on CPU) does not hide the difference: the nodes `engine.preprocessInGraph` adds (rewritten
 * onto a stand-in model of yolov8n's input that keeps one column of it, so the float tensor stays
 * inside onnxruntime as it does in a real model; 1 intra-op thread) against the worker's WASM
 * kernel writing the same float tensor (core/normalize, reused buffer).
 */
import * as ort from 'onnxruntime-node';
import { createNormalizer } from '../../core/normalize.js';
import { createSessionWithFallback } from '../../infra/engine/session.js';
import { initializer, model, node, preprocessInGraph, valueInfo } from '../../infra/onnx/graph.js';
import { randomPixels } from '../../test/helpers/tensor-fixtures.js';
import { type BenchResult, type BenchSuite, median, summarize, timeIt } from '../report.js';

const SETTINGS = { intraOpThreads: 1, interOpThreads: 1, graphOptimizationLevel: 'all', enableMemArena: true, allowSpinning: true } as const;
const SIZE = { width: 640, height: 640 };

export const preprocessInGraphOpsSuite: BenchSuite = {
  name: 'preprocess_in_graph_ops',
  async run(ctx) {
    const column = model({
      name: 'column', opset: 17, producer: 'detectfn-bench',
      initializers: [initializer('zero', 'int64', [1], [0]), initializer('one', 'int64', [1], [1]), initializer('axis', 'int64', [1], [3])],
      nodes: [node('Slice', ['images', 'zero', 'one', 'axis'], ['out'])],
      inputs: [valueInfo('images', 'float32', ['batch', 3, 640, 640])], outputs: [valueInfo('out', 'float32', ['batch', 3, 640, 1])],
    });
    const { session } = await createSessionWithFallback(preprocessInGraph(column, 'images', {}), ['cpu'], SETTINGS);
    const normalizer = createNormalizer();
    const results: BenchResult[] = [];
    for (const n of [1, 8]) {
      const pixels = Array.from({ length: n }, (_, i) => randomPixels(i));
      const batch = new Uint8Array(n * 640 * 640 * 3);
      pixels.forEach((p, i) => batch.set(p, i * p.length));
      const feeds = { images: new ort.Tensor('uint8', batch, [n, 640, 640, 3]) };
      const floats = new Float32Array(n * 3 * 640 * 640);
      const reps = ctx.quick ? 10 : 30;
      const graph = await timeIt(() => session.run(feeds), reps);
      const worker = await timeIt(() => pixels.forEach((p, i) => normalizer.normalizeInto(p, SIZE, floats, i * 3 * 640 * 640)), reps);
      const ratio = (median(graph) / median(worker)).toFixed(2);
      results.push(summarize(`preprocess_in_graph_ops.b${n}.graph`, 'ms/batch', graph, { note: `Transpose+Cast+Div nodes in onnxruntime, 1 thread; / worker = ${ratio}` }));
      results.push(summarize(`preprocess_in_graph_ops.b${n}.worker`, 'ms/batch', worker, { note: `WASM normalise (${normalizer.route}), 1 thread, reused tensor` }));
      ctx.progress(`b${n}: graph ${median(graph).toFixed(2)} ms, worker ${median(worker).toFixed(2)} ms`);
    }
    await session.release();
    return results;
  },
};
