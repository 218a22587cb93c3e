import { describe, expect, it } from 'vitest';
import { DetectError } from '../errors/index.js';
import type { Tensor } from '../ports/index.js';
import { createDecoders, getDecoder, yolov8Decoder, type OutputDecoder, type Yolov8Decoder } from './index.js';

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
