import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../../test/helpers/shared-data.js';
import { parsePythonLiteral, parseUltralyticsMetadata, readModelInfo } from './model-info.js';

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

describe('parseUltralyticsMetadata', () => {
  it('reads the real yolov8n and yolo26n metadata', () => {
    const v8 = parseUltralyticsMetadata(readModelInfo(readFileSync(MODELS.yolov8n())).metadata);
    expect(v8.names).toHaveLength(80);
    expect(v8.names?.slice(0, 3)).toEqual(['person', 'bicycle', 'car']);
    expect(v8.names?.[9]).toBe('traffic light');
    expect(v8).toMatchObject({ imgsz: [640, 640], stride: 32, task: 'detect', batch: 1, end2end: false });
    const v26 = parseUltralyticsMetadata(readModelInfo(readFileSync(MODELS.yolo26n())).metadata);
    expect(v26).toMatchObject({ imgsz: [640, 640], end2end: true });
  });

  it('gives nothing for a model without metadata', () => {
    expect(parseUltralyticsMetadata(readModelInfo(readFileSync(MODELS.nanodet())).metadata)).toEqual({});
  });

  it('handles quotes, commas and colons inside names, list names and a scalar imgsz', () => {
    const md = parseUltralyticsMetadata({ names: `{0: "men's", 1: 'a, b: c', 2: 'x\\'y'}`, imgsz: '320', stride: '8' });
    expect(md).toEqual({ names: ["men's", 'a, b: c', "x'y"], imgsz: [320, 320], stride: 8 });
    expect(parseUltralyticsMetadata({ names: "['cat', 'dog']" }).names).toEqual(['cat', 'dog']);
  });

  it('leaves out malformed entries instead of guessing', () => {
    expect(parseUltralyticsMetadata({ names: "{0: 'a', 2: 'c'}", imgsz: '[640, 0]', stride: 'abc', batch: '-1' })).toEqual({});
  });
});

describe('parsePythonLiteral', () => {
  it('parses dicts, tuples, None and booleans', () => {
    const v = parsePythonLiteral("{'data': None, 'batch': 1, 'half': False, 'size': (1.5, -2e3)}");
    expect(v).toEqual(new Map<string, unknown>([['data', null], ['batch', 1], ['half', false], ['size', [1.5, -2000]]]));
  });

  it('reports where it stopped', () => {
    expect(() => parsePythonLiteral("{0: 'a'")).toThrow(/offset 7/);
    expect(() => parsePythonLiteral("[1, 2] x")).toThrow(/end of text/);
  });
});
