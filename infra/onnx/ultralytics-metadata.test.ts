import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../../test/helpers/shared-data.js';
import { parsePythonLiteral } from './python-literal.js';
import { readModelInfo } from './read-model-info.js';
import { parseUltralyticsMetadata } from './ultralytics-metadata.js';

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
