import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../../test/helpers/shared-data.js';
import { initializer, model, node, valueInfo } from './graph-builder.js';
import { readModelInfo } from './read-model-info.js';

describe('readModelInfo on the shared models', () => {
  it('yolov8n: dynamic batch, Ultralytics metadata, opset 20', () => {
    const info = readModelInfo(readFileSync(MODELS.yolov8n()), 'yolov8n.onnx');
    expect(info.inputs).toEqual([{ name: 'images', dtype: 'float32', shape: ['batch', 3, 640, 640] }]);
    expect(info.outputs).toEqual([{ name: 'output0', dtype: 'float32', shape: ['batch', 84, 8400] }]);
    expect(info.opset).toBe(20);
    expect(info.metadata.task).toBe('detect');
    expect(info.metadata.imgsz).toBe('[640, 640]');
  });

  it('nanodet-m: initializers listed as graph inputs are not inputs', () => {
    const info = readModelInfo(readFileSync(MODELS.nanodet()), 'nanodet-m.onnx');
    expect(info.inputs).toEqual([{ name: 'input.1', dtype: 'float32', shape: [1, 3, 416, 416] }]);
    expect(info.outputs).toHaveLength(6);
    expect(info.opset).toBe(11);
    expect(info.producer).toBe('pytorch');
    expect(info.metadata).toEqual({});
  });

  it('yolo26n: fixed batch end-to-end output', () => {
    const info = readModelInfo(readFileSync(MODELS.yolo26n()));
    expect(info.outputs[0]).toEqual({ name: 'output0', dtype: 'float32', shape: [1, 300, 6] });
    expect(info.metadata.end2end).toBe('True');
  });
});

describe('readModelInfo on bad bytes', () => {
  it('a truncated file is MODEL_INVALID naming the file', () => {
    const bytes = readFileSync(MODELS.yolov8n()).subarray(0, 100_000);
    expect(() => readModelInfo(bytes, 'cut.onnx')).toThrow(expect.objectContaining({ code: 'MODEL_INVALID', message: expect.stringContaining('model cut.onnx: ') }));
  });

  it('a JPEG or JSON is MODEL_INVALID', () => {
    for (const bytes of [new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]), new TextEncoder().encode('{"name":"x"}')]) {
      expect(() => readModelInfo(bytes, 'x.onnx')).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
    }
  });
});

describe('graph builder round trip', () => {
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
