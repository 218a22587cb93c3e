import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildColourModel, COLOUR_VARIANTS } from '../../models/colour-classifier.js';
import { buildDemoModel } from '../../models/demo/demo-model.js';
import { MODELS } from '../../test/helpers/shared-data.js';
import { readModelInfo } from '../onnx/model-info.js';
import { crossCheckManifest } from './cross-check.js';
import { parseManifest } from './manifest.js';

const info = (file: string) => readModelInfo(readFileSync(file), file);
const manifest = (extra: object = {}) => parseManifest({ name: 'm', source: { uri: 's3://models/m.onnx' }, ...extra }, 'test');
const mismatch = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    expect((err as { code: string }).code).toBe('MODEL_MISMATCH');
    return (err as Error).message;
  }
  throw new Error('expected MODEL_MISMATCH');
};

describe('crossCheckManifest on the shared models', () => {
  it('yolov8n passes with the minimal manifest and takes its 80 labels from metadata', () => {
    const { labels, warnings } = crossCheckManifest(manifest(), info(MODELS.yolov8n()));
    expect(labels).toHaveLength(80);
    expect(labels[0]).toBe('person');
    expect(warnings).toEqual([]);
  });

  it('nanodet-m: input, labels and outputs disagree, each naming both sides', () => {
    const msg = mismatch(() => crossCheckManifest(manifest(), info(MODELS.nanodet())));
    expect(msg).toContain('model m (s3://models/m.onnx): ');
    expect(msg).toContain('manifest says input `images` float32 [batch,3,640,640], model has `input.1` float32 [1,3,416,416]');
    expect(msg).toContain('manifest says labels "metadata", model metadata has no names');
    expect(msg).toContain('manifest says outputs `output0`, model has `792` float32 [1,2704,80]');
  });

  it('yolo26n: fixed batch 1, end-to-end head and output shape disagree with a YOLOv8 manifest', () => {
    const msg = mismatch(() => crossCheckManifest(manifest(), info(MODELS.yolo26n())));
    expect(msg).toContain('manifest says batching.batchSizes [1,2,4,8], model `images` float32 [1,3,640,640] has a fixed batch dimension of 1');
    expect(msg).toContain('manifest says output.decoder yolov8, model metadata has end2end True');
    expect(msg).toContain('manifest decoder yolov8 expects `output0` [batch, 84, anchors], model has `output0` float32 [1,300,6]');
  });

  it('yolo26n passes with decoder end2end and batch size 1', () => {
    const m = manifest({ output: { decoder: 'end2end' }, batching: { batchSizes: [1] } });
    expect(crossCheckManifest(m, info(MODELS.yolo26n())).labels).toHaveLength(80);
  });

  it('catches metadata disagreements: image size, stride, label count', () => {
    const v8 = info(MODELS.yolov8n());
    expect(mismatch(() => crossCheckManifest(manifest({ input: { shape: ['batch', 3, 320, 320] } }), v8)))
      .toContain('manifest says input 320x320 (height x width), model metadata has imgsz [640, 640]');
    expect(mismatch(() => crossCheckManifest(manifest({ preprocess: { letterbox: { stride: 16 } } }), v8)))
      .toContain('manifest says preprocess.letterbox.stride 16, model metadata has stride 32');
    expect(mismatch(() => crossCheckManifest(manifest({ labels: ['a', 'b'] }), v8))).toContain('manifest lists 2 labels, model metadata has 80 names');
    expect(mismatch(() => crossCheckManifest(manifest({ input: { dtype: 'float16' } }), v8))).toContain('model has `images` float32 [batch,3,640,640]');
  });

  it('uses manifest labels over metadata names, with a warning when they differ', () => {
    const names = Array.from({ length: 80 }, (_, i) => `c${i}`);
    const { labels, warnings } = crossCheckManifest(manifest({ labels: names }), info(MODELS.yolov8n()));
    expect(labels).toEqual(names);
    expect(warnings[0]).toContain('first at 0: "c0" vs "person"');
  });

  it('the demo model passes with models/demo.json', () => {
    const demo = parseManifest(JSON.parse(readFileSync('models/demo.json', 'utf8')), 'models/demo.json');
    const { labels } = crossCheckManifest(demo, readModelInfo(buildDemoModel()));
    expect(labels).toEqual(['red', 'green', 'blue', 'yellow']);
  });
});

describe('crossCheckManifest on the generated classifier', () => {
  const colours = readModelInfo(buildColourModel(COLOUR_VARIANTS[0]!), 'colours.onnx');
  const classifier = (extra: object = {}) => manifest({ task: 'classify', input: { shape: ['batch', 3, 64, 64] }, output: { names: ['logits'] }, ...extra });

  it('passes as a classifier and takes its labels from metadata', () => {
    expect(crossCheckManifest(classifier(), colours).labels).toEqual(['neutral', 'red', 'green', 'blue']);
  });

  it('served as a detector, or with a label count its output does not have, names both sides', () => {
    const asDetector = mismatch(() => crossCheckManifest(manifest({ input: { shape: ['batch', 3, 64, 64] }, output: { names: ['logits'] } }), colours));
    expect(asDetector).toContain('manifest says task detect, model metadata has task classify');
    expect(asDetector).toContain('manifest decoder yolov8 expects `logits` [batch, 8, anchors], model has `logits` float32 [batch,4]');
    const labels = mismatch(() => crossCheckManifest(classifier({ labels: ['a', 'b', 'c', 'd', 'e'] }), colours));
    expect(labels).toContain('manifest lists 5 labels, model metadata has 4 names');
    expect(labels).toContain('manifest classifier (task classify, 5 labels) expects `logits` [batch, 5], model has `logits` float32 [batch,4]');
  });
});
