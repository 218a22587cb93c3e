/**
 * @module core/decode.test
 * Output decoders: the decoder set, each built-in layout on hand-made outputs (conf and class
 * filters as Ultralytics applies them), the JS and WebAssembly SIMD routes of the yolov8
 * best-class scan against a plain definition and each other, and the MODEL_MISMATCH checks on
 * outputs that do not have the manifest's layout.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type ClassScan, createDecoders, createWasmClassScan, createYolov8Decoder, end2endDecoder, getDecoder, jsClassScan, type OutputDecoder, yolov5Decoder, yolov8Decoder, type Yolov8Decoder } from './decode.js';
import { DetectError } from './errors.js';
import type { Tensor } from './types.js';

const f32 = (dims: number[], values: number[]): Tensor => ({ dtype: 'float32', dims, data: Float32Array.from(values) });

describe('createDecoders / getDecoder', () => {
  it('holds the three built-in layouts', () => {
    const set = createDecoders();
    expect(Object.keys(set).sort()).toEqual(['end2end', 'yolov5', 'yolov8']);
    expect(getDecoder(set, 'yolov8').kind).toBe('yolov8');
    expect(Object.isFrozen(set)).toBe(true);
  });

  it('gives each set its own yolov8 decoder on the WebAssembly SIMD route (scratch memory is never shared)', () => {
    const a = getDecoder(createDecoders(), 'yolov8') as Yolov8Decoder;
    expect(a.route).toBe('wasm-simd');
    expect(getDecoder(createDecoders(), 'yolov8')).not.toBe(a);
  });

  it('adds extra decoders without touching other sets', () => {
    const custom: OutputDecoder = { kind: 'custom', decode: () => ({ count: 0, boxes: new Float32Array(), scores: new Float32Array(), classIds: new Int32Array() }) };
    const withExtra = createDecoders({ custom });
    expect(getDecoder(withExtra, 'custom')).toBe(custom);
    expect(() => getDecoder(createDecoders(), 'custom')).toThrow(DetectError);
  });

  it('throws CONFIG_INVALID naming the known kinds for an unknown kind', () => {
    let err: DetectError | undefined;
    try {
      getDecoder(createDecoders(), 'toString');
    } catch (e) {
      err = e as DetectError;
    }
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.message).toBe('Unknown output decoder "toString"; known decoders: end2end, yolov5, yolov8');
  });
});

/** [B, 4+nc, N] from per-item anchor lists: each anchor is [cx, cy, w, h, ...classScores]. */
function yolov8Tensor(items: number[][][]): Tensor {
  const b = items.length, n = items[0]!.length, rows = items[0]![0]!.length;
  const data = new Float32Array(b * rows * n);
  items.forEach((anchors, i) => anchors.forEach((a, j) => a.forEach((v, r) => (data[i * rows * n + r * n + j] = v))));
  return { dtype: 'float32', dims: [b, rows, n], data };
}

const item0 = [
  [100, 50, 20, 10, 0.9, 0.1, 0.0], // class 0 at 0.9
  [200, 60, 40, 20, 0.2, 0.3, 0.6], // class 2 at 0.6
  [300, 70, 10, 10, 0.1, 0.25, 0.2], // best 0.25: not strictly above conf 0.25
  [400, 80, 10, 10, 0.05, 0.5, 0.45], // class 1 at 0.5
];
const item1 = [
  [10, 10, 2, 2, 0.0, 0.0, 0.0],
  [20, 20, 4, 8, 0.0, 0.8, 0.0],
  [30, 30, 2, 2, 0.0, 0.0, 0.0],
  [40, 40, 2, 2, 0.0, 0.0, 0.3],
];
const outputs = { output0: yolov8Tensor([item0, item1]) };

describe('yolov8 decoder', () => {
  it('takes the best class per anchor, converts cxcywh to xyxy and keeps anchor order', () => {
    const c = yolov8Decoder.decode(outputs, 0, { conf: 0.25 });
    expect(c.count).toBe(3);
    expect(Array.from(c.boxes)).toEqual([90, 45, 110, 55, 180, 50, 220, 70, 395, 75, 405, 85]);
    expect(Array.from(c.scores)).toEqual([0.9, 0.6, 0.5].map(Math.fround));
    expect(Array.from(c.classIds)).toEqual([0, 2, 1]);
  });

  it('reads batch item 1 from its own slice', () => {
    const c = yolov8Decoder.decode(outputs, 1, { conf: 0.25 });
    expect(Array.from(c.classIds)).toEqual([1, 2]);
    expect(Array.from(c.boxes.subarray(0, 4))).toEqual([18, 16, 22, 24]);
    expect(Array.from(c.scores)).toEqual([0.8, 0.3].map(Math.fround));
  });

  it('filters classes after choosing the best class, as Ultralytics does', () => {
    const c = yolov8Decoder.decode(outputs, 0, { conf: 0.25, classes: [1, 2] });
    // anchor 0 (best class 0) is dropped, not demoted to class 1 at 0.1.
    expect(Array.from(c.classIds)).toEqual([2, 1]);
    expect(yolov8Decoder.decode(outputs, 0, { conf: 0.25, classes: [] }).count).toBe(0);
  });

  it('keeps everything above a low threshold', () => {
    expect(yolov8Decoder.decode(outputs, 0, { conf: 0.001 }).count).toBe(4);
    expect(yolov8Decoder.decode(outputs, 0, { conf: 0.95 }).count).toBe(0);
  });

  it('compares with conf exactly, although float32(0.001) is above 0.001', () => {
    const just = Math.fround(0.001); // 0.0010000000474974513
    const t = yolov8Tensor([[[1, 1, 2, 2, just, 0.0005]]]);
    expect(yolov8Decoder.decode({ output0: t }, 0, { conf: 0.001 }).count).toBe(1);
    expect(yolov8Decoder.decode({ output0: t }, 0, { conf: just }).count).toBe(0);
  });

  it('scans tails when the anchor count is not a multiple of 4', () => {
    const anchors = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((s, i) => [i, i, 1, 1, s, 1 - s]);
    const c = yolov8Decoder.decode({ output0: yolov8Tensor([anchors]) }, 0, { conf: 0.45 });
    // Anchor 4 ties at 0.5: the first class reaching the max wins, as argmax does.
    expect(Array.from(c.classIds)).toEqual([1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(c.scores)).toEqual([0.9, 0.8, 0.7, 0.6, 0.5, 0.6, 0.7].map((v) => Math.fround(v)));
  });
});

/** The plain definition: first class reaching the max, kept only where the max is above conf (compared as doubles). */
function reference(data: Float32Array, first: number, nc: number, n: number, conf: number): number[][] {
  const out: number[][] = [];
  for (let a = 0; a < n; a++) {
    let best = -Infinity, cls = -1;
    for (let c = 0; c < nc; c++) if (data[first + c * n + a]! > best) (best = data[first + c * n + a]!), (cls = c);
    out.push(best > conf ? [cls, best] : [-1]);
  }
  return out;
}

function run(scan: ClassScan, data: Float32Array, first: number, nc: number, n: number, conf: number): number[][] {
  const { best, bestClass } = scan.scan(data, first, nc, n, conf);
  return Array.from(bestClass, (c, a) => (c < 0 ? [-1] : [c, best[a]!]));
}

// Few distinct values so ties, values equal to conf and float32-rounding edges come up often.
const POOL = [0, -0, 1e-8, 0.001, Math.fround(0.001), 0.25, Math.fround(0.2500001), 0.5, 0.9, -0.5, 1];
const score = fc.oneof(fc.constantFrom(...POOL), fc.float({ min: -1, max: 1, noNaN: true }));
const conf = fc.oneof(fc.constantFrom(0, 0.001, Math.fround(0.001), 0.25, 0.5), fc.double({ min: 0, max: 1, noNaN: true }));

const wasmScan = createWasmClassScan();

describe('class scan', () => {
  it('has the WebAssembly SIMD route on this runtime (Node 20)', () => {
    expect(wasmScan?.route).toBe('wasm-simd');
  });

  it('JS and WASM routes both match the plain definition on random tensors with ties', () => {
    const tensor = fc
      .record({ nc: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 70 }), lead: fc.integer({ min: 0, max: 5 }) })
      .chain(({ nc, n, lead }) => fc.record({ nc: fc.constant(nc), n: fc.constant(n), lead: fc.constant(lead), values: fc.array(score, { minLength: lead + nc * n, maxLength: lead + nc * n }), conf }));
    fc.assert(
      fc.property(tensor, ({ nc, n, lead, values, conf }) => {
        const data = Float32Array.from(values);
        const want = reference(data, lead, nc, n, conf);
        expect(run(jsClassScan, data, lead, nc, n, conf)).toEqual(want);
        expect(run(wasmScan!, data, lead, nc, n, conf)).toEqual(want);
      }),
      { numRuns: 400 },
    );
  });

  it('WASM route tiles wide rows (one row per tile) and scans the lanes past the last 16', () => {
    const nc = 3, n = 40_007, data = new Float32Array(4 * n + nc * n);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 1000) / 1000;
    for (const conf of [0.25, 0.995]) expect(run(wasmScan!, data, 4 * n, nc, n, conf)).toEqual(reference(data, 4 * n, nc, n, conf));
  });

  it('reuses its scratch memory: a smaller call after a larger one still matches', () => {
    const big = Float32Array.from({ length: 5 * 5000 }, (_, i) => (i % 13) / 13);
    const small = Float32Array.from([0.3, 0.1, 0.2, 0.3, 0.9, 0.1]);
    run(wasmScan!, big, 0, 5, 5000, 0.5);
    expect(run(wasmScan!, small, 0, 2, 3, 0.25)).toEqual(reference(small, 0, 2, 3, 0.25));
  });
});

const wasm = createYolov8Decoder({ route: 'wasm-simd' });
const js = createYolov8Decoder({ route: 'js' });

describe('yolov8 decoder routes', () => {
  it("'auto' takes wasm-simd here, the stateless export stays on js", () => {
    expect(createYolov8Decoder().route).toBe('wasm-simd');
    expect(yolov8Decoder.route).toBe('js');
    expect(() => createYolov8Decoder({ route: 'gpu' as never })).toThrow(DetectError);
  });

  it('both routes give identical candidates on random [1, 4+nc, n] outputs, with class filters', () => {
    const pool = fc.oneof(fc.constantFrom(0, 0.001, Math.fround(0.001), 0.25, 0.5, 0.9), fc.float({ min: 0, max: 1, noNaN: true }));
    const input = fc
      .record({ nc: fc.integer({ min: 1, max: 6 }), n: fc.integer({ min: 1, max: 40 }) })
      .chain(({ nc, n }) =>
        fc.record({
          nc: fc.constant(nc),
          n: fc.constant(n),
          values: fc.array(pool, { minLength: (4 + nc) * n, maxLength: (4 + nc) * n }),
          conf: fc.constantFrom(0, 0.001, 0.25, 0.5),
          classes: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: nc - 1 })), { nil: undefined }),
        }),
      );
    fc.assert(
      fc.property(input, ({ nc, n, values, conf, classes }) => {
        const outputs = { output0: { dtype: 'float32' as const, dims: [1, 4 + nc, n], data: Float32Array.from(values) } };
        const opts = classes === undefined ? { conf } : { conf, classes };
        expect(wasm.decode(outputs, 0, opts)).toEqual(js.decode(outputs, 0, opts));
      }),
      { numRuns: 300 },
    );
  });
});

/** [B, N, 5+nc] from rows [cx, cy, w, h, obj, ...classScores]. */
const yolov5Tensor = (items: number[][][]): Tensor => ({
  dtype: 'float32',
  dims: [items.length, items[0]!.length, items[0]![0]!.length],
  data: Float32Array.from(items.flat(2)),
});

const v5Item0 = [
  [100, 50, 20, 10, 0.9, 0.5, 1.0], // 0.9 * 1.0 = 0.9, class 1
  [200, 60, 40, 20, 0.2, 1.0, 0.0], // obj 0.2 fails the first (objectness) test
  [300, 70, 10, 10, 0.5, 0.4, 0.2], // 0.5 * 0.4 = 0.2 fails the second test
  [400, 80, 10, 10, 0.6, 0.9, 0.1], // 0.6 * 0.9 = 0.54, class 0
];
const v5Item1 = [
  [10, 10, 2, 2, 0.0, 0.0, 0.0],
  [10, 10, 2, 2, 0.0, 0.0, 0.0],
  [10, 10, 2, 2, 0.0, 0.0, 0.0],
  [20, 20, 4, 8, 1.0, 0.0, 0.7],
];
const v5Outputs = { output0: yolov5Tensor([v5Item0, v5Item1]) };

describe('yolov5 decoder', () => {
  it('scores obj * best class after an objectness pre-filter', () => {
    const c = yolov5Decoder.decode(v5Outputs, 0, { conf: 0.25 });
    expect(c.count).toBe(2);
    expect(Array.from(c.boxes)).toEqual([90, 45, 110, 55, 395, 75, 405, 85]);
    expect(Array.from(c.scores)).toEqual([Math.fround(0.9 * 1.0), Math.fround(Math.fround(0.6) * Math.fround(0.9))]);
    expect(Array.from(c.classIds)).toEqual([1, 0]);
  });

  it('reads batch item 1 from its own slice', () => {
    const c = yolov5Decoder.decode(v5Outputs, 1, { conf: 0.25 });
    expect(Array.from(c.boxes)).toEqual([18, 16, 22, 24]);
    expect(Array.from(c.classIds)).toEqual([1]);
  });

  it('filters classes after choosing the best class', () => {
    expect(Array.from(yolov5Decoder.decode(v5Outputs, 0, { conf: 0.25, classes: [0] }).classIds)).toEqual([0]);
    expect(yolov5Decoder.decode(v5Outputs, 0, { conf: 0.25, classes: [5] }).count).toBe(0);
  });
});

/** [B, K, 6] from per-item rows [x1, y1, x2, y2, score, class]. */
const rows = (items: number[][][]): Tensor => ({
  dtype: 'float32',
  dims: [items.length, items[0]!.length, 6],
  data: Float32Array.from(items.flat(2)),
});

const e2eOutputs = {
  output0: rows([
    [
      [1, 2, 30, 40, 0.9, 0],
      [5, 6, 70, 80, 0.25, 2], // not strictly above 0.25
      [7, 8, 9, 10, 0.5, 2.9999], // class ids arrive as floats
      [0, 0, 0, 0, 0, 0], // padding rows score 0
    ],
    [
      [11, 12, 13, 14, 0.7, 5],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ],
  ]),
};

describe('end2end decoder', () => {
  it('keeps rows above conf with boxes as given', () => {
    const c = end2endDecoder.decode(e2eOutputs, 0, { conf: 0.25 });
    expect(c.count).toBe(2);
    expect(Array.from(c.boxes)).toEqual([1, 2, 30, 40, 7, 8, 9, 10]);
    expect(Array.from(c.scores)).toEqual([0.9, 0.5].map(Math.fround));
    expect(Array.from(c.classIds)).toEqual([0, 3]);
  });

  it('applies the class filter and reads batch item 1', () => {
    expect(Array.from(end2endDecoder.decode(e2eOutputs, 0, { conf: 0.25, classes: [3] }).classIds)).toEqual([3]);
    const c = end2endDecoder.decode(e2eOutputs, 1, { conf: 0.25 });
    expect(Array.from(c.boxes)).toEqual([11, 12, 13, 14]);
    expect(Array.from(c.classIds)).toEqual([5]);
  });
});

describe('shared output checks', () => {
  const decoders = createDecoders();

  it.each([
    ['yolov8', f32([1, 84], new Array(84).fill(0)), /expects output0 as \[batch, 4\+classes, anchors\] = \[\*, \*, \*\] but it has dims \[1, 84\]/],
    ['yolov5', f32([1, 2, 85, 1], new Array(170).fill(0)), /dims \[1, 2, 85, 1\]/],
    ['end2end', f32([1, 3, 7], new Array(21).fill(0)), /= \[\*, \*, 6\] but it has dims \[1, 3, 7\]/],
  ])('%s rejects a wrong rank or size with MODEL_MISMATCH', (kind, tensor, message) => {
    const decode = () => getDecoder(decoders, kind).decode({ output0: tensor }, 0, { conf: 0.25 });
    expect(decode).toThrow(message);
    expect(decode).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }));
  });

  it('checks numClasses against the shape', () => {
    const t = f32([1, 6, 1], [0, 0, 1, 1, 0.5, 0.5]);
    expect(() => yolov8Decoder.decode({ output0: t }, 0, { conf: 0.1, numClasses: 80 })).toThrow(/= \[\*, 84, \*\] but it has dims \[1, 6, 1\]/);
    expect(yolov8Decoder.decode({ output0: t }, 0, { conf: 0.1, numClasses: 2 }).count).toBe(1);
  });

  it('rejects a missing output name, a non-float32 output and an index outside the batch', () => {
    const t = f32([1, 6, 1], [0, 0, 1, 1, 0.5, 0.5]);
    expect(() => yolov8Decoder.decode({ output0: t }, 0, { conf: 0.1, outputNames: ['boxes'] })).toThrow(/expects output boxes but the model produced \[output0\]/);
    const half: Tensor = { dtype: 'float16', dims: [1, 6, 1], data: new Uint16Array(6) };
    expect(() => yolov8Decoder.decode({ output0: half }, 0, { conf: 0.1 })).toThrow(/as float32 but it is float16/);
    expect(() => yolov8Decoder.decode({ output0: t }, 1, { conf: 0.1 })).toThrow(/item 1 of output0 with batch 1/);
  });

  it('reads the named output when several exist', () => {
    const other = f32([1, 1, 1], [0]);
    const t = f32([1, 6, 1], [10, 10, 4, 2, 0.9, 0.1]);
    const c = yolov8Decoder.decode({ other, output0: t }, 0, { conf: 0.1, outputNames: ['output0'] });
    expect(Array.from(c.boxes)).toEqual([8, 9, 12, 11]);
  });
});
