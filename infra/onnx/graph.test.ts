import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../../test/helpers/shared-data.js';
import { expectInGraphInput, initializer, lengthDelimited, model, node, preprocessInGraph, valueInfo } from './graph.js';
import { onnxTypes, readModelInfo } from './model-info.js';

interface Decoded {
  graph: { node: { name: string; opType: string; input: string[] }[]; initializer: { name: string; rawData: string }[] };
  metadataProps: { key: string; value: string }[];
  opsetImport: unknown[];
}
const decode = (b: Uint8Array) => onnxTypes().ModelProto.toObject(onnxTypes().ModelProto.decode(b), { longs: Number, bytes: String }) as unknown as Decoded;

describe('the graph builder', () => {
  const build = () =>
    model({
      name: 'g',
      nodes: [node('Add', ['x', 'w'], ['y'])],
      initializers: [initializer('w', 'float32', [2], [1, 2])],
      inputs: [valueInfo('x', 'float32', ['n', 2]), valueInfo('w', 'float32', [2])],
      outputs: [valueInfo('y', 'float32', ['n', 2])],
      opset: 17,
      producer: 'detectfn-test',
      metadata: { names: "{0: 'a'}" },
    });

  it('reads back what it wrote, and encodes deterministically', () => {
    const bytes = build();
    expect(readModelInfo(bytes)).toEqual({
      inputs: [{ name: 'x', dtype: 'float32', shape: ['n', 2] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: ['n', 2] }],
      metadata: { names: "{0: 'a'}" },
      opset: 17,
      producer: 'detectfn-test',
    });
    expect(Buffer.from(build()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('rejects an initializer whose value count does not match its dims', () => {
    expect(() => initializer('w', 'int64', [2, 2], [1, 2, 3])).toThrow(/3 values for dims \[2,2\]/);
  });
});

describe('preprocessInGraph (graph rewrite at the wire level)', () => {
  const yolo = new Uint8Array(readFileSync(MODELS.yolov8n()));

  it('keeps every node, initializer and metadata entry of yolov8n, and only repoints the input consumer', () => {
    const before = decode(yolo);
    const after = decode(preprocessInGraph(yolo, 'images', {}));
    expect(after.metadataProps).toEqual(before.metadataProps);
    expect(after.opsetImport).toEqual(before.opsetImport);
    // Default options: Transpose, Cast, Div (no swap, no mean) added first, the originals after, in order.
    expect(after.graph.node.slice(0, 3).map((n) => n.opType)).toEqual(['Transpose', 'Cast', 'Div']);
    const kept = after.graph.node.slice(3);
    expect(kept).toHaveLength(before.graph.node.length);
    const repointed = kept.map((n, i) => ({ n, was: before.graph.node[i]! })).filter(({ n, was }) => JSON.stringify(n) !== JSON.stringify(was));
    // The input's consumers (and only they) now read the normalised tensor; nothing else about them changed.
    expect(repointed.length).toBe(before.graph.node.filter((n) => n.input.includes('images')).length);
    expect(repointed.length).toBeGreaterThan(0);
    for (const { n, was } of repointed) {
      expect(n).toEqual({ ...was, input: was.input.map((x) => (x === 'images' ? 'detectfn_preprocess/images' : x)) });
    }
    expect(after.graph.initializer.slice(0, before.graph.initializer.length)).toEqual(before.graph.initializer);
    expect(after.graph.initializer.slice(before.graph.initializer.length).map((t) => t.name)).toEqual(['detectfn_preprocess/div']);
    expect(readModelInfo(preprocessInGraph(yolo, 'images', {})).inputs).toEqual([{ name: 'images', dtype: 'uint8', shape: ['batch', 640, 640, 3] }]);
  });

  it('copies fields the schema does not know byte for byte (ModelProto.functions, a GraphProto doc string)', () => {
    const unknown = lengthDelimited(25, new TextEncoder().encode('opaque function bytes'));
    const out = preprocessInGraph(Buffer.concat([yolo, unknown]), 'images', {});
    expect(Buffer.from(out.subarray(out.length - unknown.length)).equals(Buffer.from(unknown))).toBe(true);
  });

  it('adds Gather (BGR), Sub and Div with the plan constants, and a final Cast for float16 inputs', () => {
    const half = model({
      name: 'h', opset: 17, producer: 't', initializers: [], nodes: [node('Identity', ['x'], ['y'])],
      inputs: [valueInfo('x', 'float16', ['b', 3, 2, 2])], outputs: [valueInfo('y', 'float16', ['b', 3, 2, 2])],
    });
    const after = decode(preprocessInGraph(half, 'x', { scale: 1, mean: [1, 2, 3], std: [4, 5, 6], modelOrder: 'bgr' }));
    expect(after.graph.node.map((n) => n.opType)).toEqual(['Gather', 'Transpose', 'Cast', 'Sub', 'Div', 'Cast', 'Identity']);
    expect(after.graph.node[5]!.name).toBe('detectfn_preprocess/x');
    expect(after.graph.node[6]!.input).toEqual(['detectfn_preprocess/x']);
    expect(after.graph.initializer.map((t) => t.name)).toEqual(['detectfn_preprocess/channels', 'detectfn_preprocess/sub', 'detectfn_preprocess/div']);
    // Constants per model plane (BGR): the mean of plane 0 is mean[0] (/ scale 1), as the manifest gives it.
    const sub = Buffer.from(after.graph.initializer[1]!.rawData, 'base64');
    expect([0, 4, 8].map((o) => sub.readFloatLE(o))).toEqual([1, 2, 3]);
  });

  it('refuses an input it cannot produce, naming engine.preprocessInGraph', () => {
    const bytes = model({
      name: 'g', opset: 17, producer: 't', initializers: [],
      nodes: [node('Identity', ['x'], ['y'])],
      inputs: [valueInfo('x', 'int32', [1, 3, 4, 4])], outputs: [valueInfo('y', 'int32', [1, 3, 4, 4])],
    });
    expect(() => preprocessInGraph(bytes, 'x', {}, 'g.onnx')).toThrow(/g\.onnx: engine\.preprocessInGraph: input `x` is int32 \[1,3,4,4\]/);
    expect(() => preprocessInGraph(bytes, 'images', {}, 'g.onnx')).toThrow(/no input `images`/);
    expect(() => expectInGraphInput([{ name: 'x', dtype: 'float32', shape: [1, 4, 4, 3] }], 'x', 'm')).toThrow(/MODEL_MISMATCH|float32 \[1,4,4,3\]/);
  });

  it('refuses a model whose weights are in external data files (a session from bytes cannot find them)', () => {
    const bytes = model({
      name: 'e', opset: 17, producer: 't', nodes: [node('Add', ['x', 'w'], ['y'])],
      // The builder's TensorSpec has no external-data fields; the encoder (model-info's schema) does.
      initializers: [{ name: 'w', dims: [1], dataType: 1, rawData: new Uint8Array(0), dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] } as never],
      inputs: [valueInfo('x', 'float32', [1, 3, 4, 4])], outputs: [valueInfo('y', 'float32', [1, 3, 4, 4])],
    });
    expect(() => preprocessInGraph(bytes, 'x', {}, 'e.onnx')).toThrow('model e.onnx: engine.preprocessInGraph: weights in external data files are not supported (initializer w)');
  });
});
