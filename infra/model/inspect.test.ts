import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../onnx/model-info.js';
import { expectedInputRange } from './inspect.js';
import { parseManifest } from './manifest.js';

const metaInfo = (metadata: Record<string, string>): ModelInfo => ({ inputs: [], outputs: [], metadata, opset: 17, producer: 'test' });
const rangeManifest = (input: object = {}) => parseManifest({ name: 'm', source: { uri: '/m.onnx' }, input }, 'test');

describe('expectedInputRange', () => {
  it('takes the manifest input.range first, then Ultralytics metadata (0-1), else nothing', () => {
    const yolo = metaInfo({ names: "{0: 'person'}", imgsz: '[640, 640]', task: 'detect' });
    expect(expectedInputRange(rangeManifest({ range: [-1, 1] }), yolo)).toEqual({ range: [-1, 1], source: "the manifest's input.range [-1, 1]" });
    expect(expectedInputRange(rangeManifest(), yolo)?.range).toEqual([0, 1]);
    expect(expectedInputRange(rangeManifest(), metaInfo({ author: 'someone' }))).toBeUndefined();
  });

  it('refuses an input.range that is not [lo, hi] with lo < hi', () => {
    expect(() => rangeManifest({ range: [1, 0] })).toThrow(/input\.range.*lo < hi/);
    expect(() => rangeManifest({ range: [0] })).toThrow(/input\.range/);
  });
});
