/**
 * @module bench/null-engine/null-model
 * A detector that costs (almost) nothing: yolov8n's tensors ([batch,3,640,640] float32 in,
 * [batch,84,8400] out, dynamic batch) but the graph only reads the input's shape and expands a
 * fixed prediction to the batch (Shape -> Slice -> Concat -> Expand). What remains of a run is
 * the serving path around the engine, which is what bounds throughput on a fast GPU.
 * The prediction is deterministic and realistic enough for postprocess to do real work: every
 * anchor carries a box and 80 low class scores (below conf 0.25), a few anchors sit just above
 * the threshold, and each of OBJECTS has a cluster of overlapping high-score anchors that NMS
 * reduces to one box. Generated at bench time, never committed as a binary.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { initializer, model, node, valueInfo } from '../../infra/onnx/graph.js';

const CLASSES = 80;
const ANCHORS = 8400;
const ROWS = 4 + CLASSES;
/** One box per object after NMS: [cx, cy, w, h] in 640x640 input pixels, and its class. */
export const NULL_OBJECTS = [
  { box: [320, 320, 200, 300], cls: 0 }, { box: [200, 260, 80, 160], cls: 0 }, { box: [440, 380, 120, 90], cls: 2 },
  { box: [300, 200, 60, 60], cls: 5 }, { box: [360, 430, 150, 70], cls: 7 }, { box: [250, 400, 40, 90], cls: 26 },
] as const;
const CLUSTER = 12;

/** mulberry32: a small seeded PRNG, so the model bytes are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fixed [1, 84, 8400] prediction (channel-major, as YOLOv8 exports it). */
export function nullPrediction(): Float32Array {
  const rnd = prng(11);
  const p = new Float32Array(ROWS * ANCHORS);
  const set = (row: number, a: number, v: number) => (p[row * ANCHORS + a] = v);
  for (let a = 0; a < ANCHORS; a++) {
    [40 + rnd() * 560, 40 + rnd() * 560, 8 + rnd() * 120, 8 + rnd() * 120].forEach((v, r) => set(r, a, v));
    for (let c = 0; c < CLASSES; c++) set(4 + c, a, rnd() * rnd() * 0.2);
  }
  // A few lone anchors just over the threshold: conf filter and NMS see more than the clusters.
  for (let k = 0; k < 8; k++) set(4 + Math.floor(rnd() * CLASSES), 7000 + k * 150, 0.26 + rnd() * 0.1);
  NULL_OBJECTS.forEach(({ box, cls }, o) => {
    for (let j = 0; j < CLUSTER; j++) {
      const a = 1000 + o * 700 + j * 37;
      // Jitter of +-2% of the box's own size keeps every pair's IoU well above NMS's 0.7.
      const [cx, cy, w, h] = box;
      [cx + w * (rnd() - 0.5) * 0.04, cy + h * (rnd() - 0.5) * 0.04, w * (1 + (rnd() - 0.5) * 0.04), h * (1 + (rnd() - 0.5) * 0.04)].forEach((v, r) => set(r, a, v));
      set(4 + cls, a, 0.55 + rnd() * 0.4);
    }
  });
  return p;
}

export function buildNullModel(): Uint8Array {
  const c = (name: string, values: number[]) => initializer(name, 'int64', [values.length], values);
  return model({
    name: 'null-engine',
    producer: 'detectfn-bench',
    opset: 17,
    inputs: [valueInfo('images', 'float32', ['batch', 3, 640, 640])],
    outputs: [valueInfo('output0', 'float32', ['batch', ROWS, ANCHORS])],
    initializers: [initializer('prediction', 'float32', [1, ROWS, ANCHORS], nullPrediction()), c('zero', [0]), c('one', [1]), c('tail', [ROWS, ANCHORS])],
    nodes: [
      node('Shape', ['images'], ['shape']),
      node('Slice', ['shape', 'zero', 'one'], ['batch']),
      node('Concat', ['batch', 'tail'], ['target'], { axis: 0 }),
      node('Expand', ['prediction', 'target'], ['output0']),
    ],
  });
}

/** Writes the model and a manifest beside it (80 labels, CPU, 1 engine worker); returns the manifest path. */
export async function writeNullModel(dir: string, engine: { intraOpThreads: number } = { intraOpThreads: 1 }): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'null-engine.onnx'), buildNullModel());
  const manifest = {
    name: 'null-engine',
    source: { uri: './null-engine.onnx' },
    input: { shape: ['batch', 3, 640, 640] },
    labels: Array.from({ length: CLASSES }, (_, i) => `class${i}`),
    engine: { providers: ['cpu'], workers: 1, ...engine },
    batching: { batchSizes: [1, 2, 4, 8], maxQueue: 256 },
  };
  const file = path.join(dir, 'null-engine.json');
  await writeFile(file, JSON.stringify(manifest, null, 2));
  return file;
}
