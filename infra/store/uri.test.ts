import { describe, expect, it } from 'vitest';
import { parseModelUri } from './uri.js';

describe('parseModelUri', () => {
  it('splits s3 URIs at the first slash after the bucket', () => {
    expect(parseModelUri('s3://models/yolo/v8n.onnx')).toEqual({ kind: 's3', bucket: 'models', key: 'yolo/v8n.onnx' });
  });
  it('reads file URLs and plain paths in place', () => {
    expect(parseModelUri('file:///m/a%20b.onnx')).toEqual({ kind: 'file', path: '/m/a b.onnx' });
    expect(parseModelUri('/m/x.onnx')).toEqual({ kind: 'file', path: '/m/x.onnx' });
  });
  it('rejects other schemes and an s3 URI without a key', () => {
    expect(() => parseModelUri('https://x/y.onnx')).toThrow(/Expected s3:\/\/bucket\/key/);
    expect(() => parseModelUri('s3://bucket-only')).toThrow(/received "s3:\/\/bucket-only"/);
    expect(() => parseModelUri('')).toThrow(/INVALID_ARGUMENT|Expected/);
  });
});
