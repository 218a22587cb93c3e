import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/helpers/shared-data.js';
import { defaultManifestForOnnx, loadManifest, parseManifest, withoutOtherTaskFields } from './manifest.js';

const minimal = { name: 'yolov8n', source: { uri: 's3://models/yolov8n.onnx' } };

function errorOf(json: unknown): { code: string; message: string } {
  try {
    parseManifest(json, 'models/x.json');
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected the manifest to be rejected');
}

describe('parseManifest', () => {
  it('fills every default from two fields', () => {
    const m = parseManifest(minimal, 'inline');
    expect(m).toMatchObject({
      name: 'yolov8n', version: '1',
      input: { name: 'images', dtype: 'float32', layout: 'NCHW', shape: ['batch', 3, 640, 640] },
      preprocess: { letterbox: { stride: 32, scaleUp: true, auto: false, center: true, padValue: 114 }, scale: 1 / 255, channelOrder: 'rgb' },
      output: { names: ['output0'], decoder: 'yolov8' },
      labels: 'metadata',
      thresholds: { conf: 0.25, iou: 0.7, maxDet: 300, agnostic: false },
      engine: { providers: ['cpu'], workers: 1, intraOpThreads: 0, interOpThreads: 0, graphOptimizationLevel: 'all', enableMemArena: true, preprocessInGraph: false },
      batching: { batchSizes: [1, 2, 4, 8], maxQueueDelayUs: 2000, maxQueue: 64, maxInFlight: 2, timeoutMs: 30000 },
      warmup: { enabled: true, iterations: 1 },
    });
    expect(m.preprocess.mean).toBeUndefined();
  });

  it('keeps given values inside a partly given section, sorts and dedupes batch sizes, freezes the result', () => {
    const m = parseManifest({ ...minimal, batching: { batchSizes: [8, 1, 4, 4] }, preprocess: { letterbox: { padValue: 0 } } }, 'inline');
    expect(m.batching).toMatchObject({ batchSizes: [1, 4, 8], maxQueue: 64 });
    expect(m.preprocess.letterbox).toMatchObject({ padValue: 0, stride: 32 });
    expect(Object.isFrozen(m.batching.batchSizes)).toBe(true);
  });

  it('names the origin and the field path', () => {
    const err = errorOf({ ...minimal, batching: { batchSizes: [1, 0] } });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe('manifest models/x.json: batching.batchSizes[1]: expected positive integer');
  });

  it('reports every bad field at once, unknown keys included', () => {
    const err = errorOf({ source: { uri: 'http://x/y.onnx' }, thresholds: { conf: 2 }, engine: { providers: ['gpu'] }, batchSize: 4 });
    expect(err.message).toContain('name: expected non-empty string');
    expect(err.message).toContain('source.uri: expected s3://bucket/key, file:// URL or path');
    expect(err.message).toContain('thresholds.conf: expected number between 0 and 1');
    expect(err.message).toContain('engine.providers[0]: expected one of tensorrt, cuda, webgpu, cpu');
    expect(err.message).toContain('"batchSize"');
  });

  it('checks the input shape is NCHW with a fixed image size', () => {
    expect(errorOf({ ...minimal, input: { shape: [1, 640, 640, 3] } }).message).toContain('input.shape: expected 3 channels in dimension 1 (NCHW)');
    expect(errorOf({ ...minimal, input: { shape: ['batch', 3, 'h', 'w'] } }).message).toContain('input.shape: expected fixed height and width');
    expect(errorOf({ ...minimal, source: { uri: 's3://bucket-only' } }).message).toContain('source.uri');
    expect(errorOf({ ...minimal, source: { uri: 'a.onnx', sha256: 'ABC' } }).message).toContain('source.sha256: expected 64 lowercase hex digits');
  });

  it('refuses input.dtype uint8 at validation, naming the field and why (the loader cannot serve it yet)', () => {
    const err = errorOf({ ...minimal, input: { dtype: 'uint8' } });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe('manifest models/x.json: input.dtype: uint8 is not supported yet: the service feeds the model normalised float pixels (scale, mean, std), so use float32 or float16 (engine.preprocessInGraph: true rewrites such a model at load to take uint8 pixels)');
    expect(parseManifest({ ...minimal, input: { dtype: 'float16' } }, 'inline').input.dtype).toBe('float16');
  });

  it('engine.preprocessInGraph: false by default, a boolean, refused with uint8 input naming both fields', () => {
    expect(parseManifest(minimal, 'inline').engine.preprocessInGraph).toBe(false);
    expect(parseManifest({ ...minimal, engine: { preprocessInGraph: true } }, 'inline').engine.preprocessInGraph).toBe(true);
    expect(errorOf({ ...minimal, engine: { preprocessInGraph: 'yes' } }).message).toContain('engine.preprocessInGraph: expected true or false');
    const both = errorOf({ ...minimal, input: { dtype: 'uint8' }, engine: { preprocessInGraph: true } }).message;
    expect(both).toContain('input.dtype: uint8 is not supported yet');
    expect(both).toContain('engine.preprocessInGraph: true rewrites');
  });

  it('keeps decode.shrinkOnLoad off unless asked, and refuses a non-boolean by its path', () => {
    expect(parseManifest(minimal, 'inline').decode).toEqual({ shrinkOnLoad: false });
    expect(parseManifest({ ...minimal, decode: { shrinkOnLoad: true } }, 'inline').decode.shrinkOnLoad).toBe(true);
    expect(errorOf({ ...minimal, decode: { shrinkOnLoad: 'yes' } }).message).toContain('decode.shrinkOnLoad: expected');
  });

  it('reads a classifier: task, resize, crop pad value and output kind, with their defaults', () => {
    const m = parseManifest({ ...minimal, task: 'classify', preprocess: { resize: { mode: 'not_larger', size: 256 } } }, 'inline');
    expect(m.task).toBe('classify');
    expect(m.preprocess.resize).toEqual({ mode: 'not_larger', size: 256 });
    expect(m.preprocess.crop).toEqual({ padValue: 0 });
    expect(m.output.kind).toBe('logits');
    expect(parseManifest(minimal, 'inline').task).toBe('detect');
    expect(errorOf({ ...minimal, task: 'segment' }).message).toContain('task: expected one of detect, classify');
    expect(errorOf({ ...minimal, task: 'classify', output: { kind: 'scores' } }).message).toContain('output.kind: expected one of logits, probabilities');
  });

  it('refuses detector-only fields on a classifier and classifier-only fields on a detector, by path', () => {
    const onClassifier = errorOf({ ...minimal, task: 'classify', preprocess: { letterbox: { padValue: 0 } }, output: { decoder: 'yolov8' }, thresholds: { conf: 0.5 } });
    expect(onClassifier.code).toBe('CONFIG_INVALID');
    expect(onClassifier.message).toBe('manifest models/x.json: preprocess.letterbox: a detector field, but this manifest has task classify; ' +
      'output.decoder: a detector field, but this manifest has task classify; thresholds: a detector field, but this manifest has task classify');
    const onDetector = errorOf({ ...minimal, preprocess: { resize: { size: 256 }, crop: { padValue: 0 } }, output: { kind: 'logits' } });
    expect(onDetector.message).toContain('preprocess.resize: a classifier field, but this manifest has task detect (set "task": "classify" for a classifier)');
    expect(onDetector.message).toContain('preprocess.crop: a classifier field');
    expect(onDetector.message).toContain('output.kind: a classifier field');
  });
});

describe('withoutOtherTaskFields', () => {
  it('lets a parsed manifest of either task parse again (adaptManifestToModel re-parses)', () => {
    const detector = parseManifest(minimal, 'inline');
    expect(parseManifest(withoutOtherTaskFields(detector), 'again')).toEqual(detector);
    const classifier = parseManifest({ ...minimal, task: 'classify' }, 'inline');
    expect(parseManifest(withoutOtherTaskFields(classifier), 'again')).toEqual(classifier);
    expect(() => parseManifest(detector, 'again')).toThrow(/preprocess.resize: a classifier field/);
  });
});

// Load manifest.
describe('loadManifest', () => {
  it('resolves a relative source path against the manifest folder', async () => {
    const demo = await loadManifest(path.join(repoRoot, 'models/demo.json'));
    expect(demo.source.uri).toBe(path.join(repoRoot, 'models/demo/demo.onnx'));
    expect(demo.input.shape).toEqual(['batch', 3, 320, 320]);
  });

  it('loads the examples; s3:// URIs stay as they are', async () => {
    const s3 = await loadManifest(path.join(repoRoot, 'models/examples/yolov8n-s3.json'));
    expect(s3.source).toEqual({ uri: 's3://models/yolov8n.onnx', sha256: expect.stringMatching(/^35e3c61f/) });
    const file = await loadManifest(path.join(repoRoot, 'models/examples/yolov8n-file.json'));
    expect(file.source.uri).toBe(path.resolve(repoRoot, '../shared/data/models/yolov8n.onnx'));
    expect(file.engine.providers).toEqual(['cuda', 'cpu']);
  });

  it('names the file for unreadable, non-JSON and invalid manifests', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'detectfn-manifest-'));
    await writeFile(path.join(dir, 'bad.json'), '{"name": ');
    await writeFile(path.join(dir, 'invalid.json'), '{"name": "x", "source": {"uri": "x.onnx"}, "warmup": {"iterations": 0}}');
    await expect(loadManifest(path.join(dir, 'missing.json'))).rejects.toThrow(/missing.json: cannot be read \(ENOENT\)/);
    await expect(loadManifest(path.join(dir, 'bad.json'))).rejects.toThrow(/bad.json: not valid JSON/);
    await expect(loadManifest(path.join(dir, 'invalid.json'))).rejects.toThrow(/invalid.json: warmup.iterations: expected positive integer/);
  });
});

describe('defaultManifestForOnnx', () => {
  it('names the model after the file and keeps every default', () => {
    expect(defaultManifestForOnnx('s3://models/yolov8n-fp16.onnx')).toMatchObject({ name: 'yolov8n-fp16', source: { uri: 's3://models/yolov8n-fp16.onnx' }, labels: 'metadata' });
    expect(defaultManifestForOnnx('/models/my model.onnx').name).toBe('my-model');
    expect(defaultManifestForOnnx('rel/m.onnx').source.uri).toBe(path.resolve('rel/m.onnx'));
  });
});
