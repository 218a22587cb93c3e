/**
 * The KServe inference steps without a model: planInfer's checks and parameter reading (all of
 * them before any data is decoded or queued), runInfer handing the plan's options to the model
 * as parsed, and the classifier's outputs (Triton's classification extension).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECT_OPTIONS } from '../../core/options.js';
import type { ClassifyResult } from '../../infra/model/classify.js';
import type { ModelDescription } from '../../infra/model/load.js';
import { standInRegistry } from '../../test/helpers/fake-registry.js';
import { decodeBytesElements, type KsInferRequest, type KsParameters } from './codec.js';
import { classifyOutputs, type InferPlan, planInfer, refuseClassification, runInfer, tritonClassString } from './infer.js';

const detector = standInRegistry('det').get('det').describe();
const image = { name: 'image', shape: [1], datatype: 'BYTES' };
const detect = (parameters?: KsParameters, extra: Partial<KsInferRequest> = {}) => planInfer({ inputs: [image], ...(parameters ? { parameters } : {}), ...extra }, detector);

describe('planInfer: timeout', () => {
  it('reads Triton\'s timeout in microseconds; absent or 0 means the server deadline alone', () => {
    expect(detect({ timeout: 250_000 }).timeoutUs).toBe(250_000);
    expect(detect({}).timeoutUs).toBe(0);
    expect(detect().timeoutUs).toBe(0);
  });

  it('refuses a timeout that is not a non-negative integer, naming it', () => {
    expect(() => detect({ timeout: -1 })).toThrow('Expected integer >= 0 (microseconds) for parameters.timeout but received -1 of type number');
    expect(() => detect({ timeout: '5' })).toThrow('for parameters.timeout but received "5" of type string');
  });
});

describe('planInfer: parameters', () => {
  it('reads the detection options once, through core/options, over the model\'s defaults', () => {
    const plan = detect({ conf: 0.5, max_det: '7', classes: '0,2', agnostic: 'true' });
    expect(plan).toMatchObject({ task: 'detect', options: { ...DEFAULT_DETECT_OPTIONS, conf: 0.5, maxDet: 7, classes: [0, 2], agnostic: true } });
    expect(() => detect({ conf: 2 })).toThrow(/conf but received 2 of type number/);
  });

  it('ignores names it does not know and reports them (KServe codecs send content_type), still reading the options it knows', () => {
    const p = detect({ content_type: 'np', conf: 0.5, custom: 1 });
    expect(p.ignored).toEqual(['content_type', 'custom']);
    expect(p.task === 'detect' && p.options.conf).toBe(0.5);
    expect(detect({ conf: 0.5, timeout: 5, binary_data_output: true, priority: 1 }).ignored).toEqual([]);
  });

  it('reads binary_data_output and each output\'s binary_data with core/options\' parseBoolean, and refuses what is not a boolean', () => {
    const binary = (p: InferPlan) => p.outputs.map((o) => o.binary);
    expect(binary(detect())).toEqual([false, false, false, false]);
    expect(binary(detect({ binary_data_output: true }))).toEqual([true, true, true, true]);
    // What a gRPC string_param or int64_param carries reads the same as a JSON boolean.
    expect(binary(detect({ binary_data_output: 'true' }))).toEqual([true, true, true, true]);
    expect(binary(detect({ binary_data_output: 1 }))).toEqual([true, true, true, true]);
    const outputs = [{ name: 'num_dets' }, { name: 'det_boxes', parameters: { binary_data: 'false' } }, { name: 'det_scores', parameters: { binary_data: true } }];
    expect(binary(detect({ binary_data_output: true }, { outputs }))).toEqual([true, false, true]);
    expect(() => detect({ binary_data_output: 'yes' })).toThrow('Expected boolean (true, false, 1, 0) for parameters.binary_data_output but received "yes" of type string');
    // Before, a non-boolean binary_data was silently taken as "not given".
    expect(() => detect({}, { outputs: [{ name: 'num_dets' }, { name: 'det_boxes', parameters: { binary_data: 'nope' } }] })).toThrow(/for outputs\[1\]\.parameters\.binary_data but received "nope"/);
  });
});

describe('planInfer: the request against the model, before any data is decoded', () => {
  const tensor = (shape: number[], datatype = 'FP32') => ({ name: 'images', shape, datatype });
  it('takes BYTES images under `image`, or the model\'s own tensor [N,3,H,W] in its datatype', () => {
    expect(() => planInfer({ inputs: [{ ...image, shape: [64] }] }, detector)).not.toThrow();
    expect(() => planInfer({ inputs: [tensor([2, 3, 32, 32])] }, detector)).not.toThrow();
  });

  it('refuses two inputs, an unknown input, a wrong tensor and a batch out of 1..64, naming them', () => {
    expect(() => planInfer({ inputs: [image, image] }, detector)).toThrow('expected exactly one input (BYTES images or a preprocessed tensor), got 2');
    expect(() => planInfer({ inputs: [{ ...image, name: 'INPUT__0' }] }, detector)).toThrow("input 'INPUT__0' is not an input of model det; send 'image' (BYTES, one encoded image per element) or 'images' (FP32 [N,3,32,32])");
    expect(() => planInfer({ inputs: [tensor([1, 3, 2, 2])] }, detector)).toThrow("input 'images': expected BYTES images or FP32 [N,3,32,32], got FP32 [1,3,2,2]");
    expect(() => planInfer({ inputs: [tensor([1, 3, 32, 32], 'INT32')] }, detector)).toThrow(/got INT32 \[1,3,32,32\]/);
    expect(() => planInfer({ inputs: [{ ...image, shape: [65] }] }, detector)).toThrow("input 'image': batch of 65 items; expected 1 to 64");
    expect(() => planInfer({ inputs: [{ ...image, shape: [0] }] }, detector)).toThrow(/batch of 0 items/);
  });

  it('refuses an unknown output, keeping the order of those asked for', () => {
    expect(() => detect({}, { outputs: [{ name: 'boxes' }] })).toThrow("unknown output 'boxes'; this model has num_dets, det_boxes, det_scores, det_classes");
    expect(detect({}, { outputs: [{ name: 'det_classes' }, { name: 'num_dets' }] }).outputs.map((o) => o.name)).toEqual(['det_classes', 'num_dets']);
  });
});

describe('refuseClassification', () => {
  const inputs = [image];
  it('refuses class_count / classification in the request or an output, naming the outputs served instead', () => {
    expect(() => refuseClassification({ inputs, parameters: { classification: 3 } })).toThrow(/^parameters\.classification: Triton's classification extension is not supported; .*num_dets, det_boxes, det_scores, det_classes/);
    expect(() => refuseClassification({ inputs, outputs: [{ name: 'det_scores' }, { name: 'det_classes', parameters: { class_count: 2 } }] })).toThrow(/^outputs\[1\]\.parameters\.class_count: /);
    expect(() => refuseClassification({ inputs, parameters: { conf: 0.4 }, outputs: [{ name: 'det_classes' }] })).not.toThrow();
  });
});

describe('planInfer: sequences', () => {
  it('refuses a sequence request (there is no sequence batcher), naming the parameter', () => {
    expect(() => detect({ sequence_id: 7 })).toThrow(/^parameters.sequence_id: sequence batching is not supported/);
    expect(() => detect({ sequence_id: 'abc' })).toThrow(/parameters.sequence_id/);
    expect(() => detect({ sequence_start: true })).toThrow(/parameters.sequence_start/);
    expect(() => detect({ sequence_end: 'true' })).toThrow(/^parameters.sequence_end: sequence batching/);
    expect(() => detect({ sequence_end: 'maybe' })).toThrow(/boolean .* for parameters.sequence_end/);
  });

  it('accepts the values clients send outside a sequence (0, "", false)', () => {
    expect(detect({ sequence_id: 0, sequence_start: false, sequence_end: 'false' }).ignored).toEqual([]);
    expect(detect({ sequence_id: '' }).ignored).toEqual([]);
  });
});

describe('runInfer', () => {
  it('hands the model the plan\'s options as parsed (nothing parses them again) and builds the planned outputs', async () => {
    const registry = standInRegistry('det');
    const model = registry.get('det');
    const plan = detect({ max_det: 2 }, { outputs: [{ name: 'det_classes' }, { name: 'num_dets', parameters: { binary_data: true } }] });
    const bytes = new Uint8Array([1, 2, 3]);
    const outputs = await runInfer(model, plan, [{ name: 'image', datatype: 'BYTES', shape: [1], values: [bytes] }], { deadline: performance.now() + 10_000 }, performance.now());
    expect(registry.calls).toHaveLength(1);
    expect(registry.calls[0]!.options).toBe(plan.task === 'detect' ? plan.options : undefined);
    expect(outputs.map((o) => [o.name, o.datatype, o.shape, o.binary])).toEqual([['det_classes', 'INT32', [1, 2], false], ['num_dets', 'INT32', [1], true]]);
    expect([...outputs[0]!.values]).toEqual([0, -1]);
  });
});

describe('classifier outputs (Triton\'s classification extension)', () => {
  const d = { ...detector, name: 'c', task: 'classify', outputName: 'logits', labels: ['a', 'b', 'c'] } as ModelDescription;
  const inputs = [{ ...image, shape: [2] }];
  const timings = { decode: 0, preprocess: 0, queue: 0, infer: 0, postprocess: 0, total: 0 };
  /** Two items, every class, best first (as runInfer asks: topK = classes). */
  const results: ClassifyResult[] = [
    { model: 'c', version: '1', image: { width: 1, height: 1 }, batchSize: 2, timings, classes: [{ classId: 2, label: 'c', score: 0.7 }, { classId: 0, label: 'a', score: 0.2 }, { classId: 1, label: 'b', score: 0.1 }] },
    { model: 'c', version: '1', image: { width: 1, height: 1 }, batchSize: 2, timings, classes: [{ classId: 1, label: 'b', score: 0.5 }, { classId: 2, label: 'c', score: 0.3 }, { classId: 0, label: 'a', score: 0.2 }] },
  ];
  const classify = (request: Omit<KsInferRequest, 'inputs'>) => classifyOutputs(results, d, planInfer({ inputs, ...request }, d).outputs);

  it('without the extension: FP32 [B, classes] in class-id order', () => {
    const [out] = classify({});
    expect(out).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [2, 3], binary: false });
    expect(Array.from(out!.values as Float32Array)).toEqual([0.2, 0.1, 0.7, 0.2, 0.5, 0.3].map((v) => expect.closeTo(v, 6)));
  });

  it('with classification N: BYTES [B, N] "score:index:label", the same strings in JSON and binary form', () => {
    const [out] = classify({ outputs: [{ name: 'logits', parameters: { classification: 2, binary_data: true } }] });
    expect(out).toMatchObject({ datatype: 'BYTES', shape: [2, 2], binary: true });
    expect(out!.text).toEqual(['0.700000:2:c', '0.200000:0:a', '0.500000:1:b', '0.300000:2:c']);
    expect(decodeBytesElements(out!.values as Uint8Array, 4, 'x').map((b) => Buffer.from(b).toString())).toEqual(out!.text);
    expect(tritonClassString(15.34623, 409, 'analog clock')).toBe('15.346230:409:analog clock'); // as std::to_string prints
    expect(classify({ parameters: { class_count: 1 } })[0]).toMatchObject({ datatype: 'BYTES', shape: [2, 1], text: ['0.700000:2:c', '0.500000:1:b'] });
  });

  it('refuses counts outside 1..classes and unknown outputs, naming them, before the model runs', () => {
    expect(() => planInfer({ inputs, parameters: { class_count: 0 } }, d)).toThrow('Expected integer between 1 and 3 (the model\'s classes) for parameters.class_count but received 0');
    expect(() => planInfer({ inputs, outputs: [{ name: 'logits', parameters: { classification: 'x' } }] }, d)).toThrow(/outputs\[0\]\.parameters\.classification/);
    expect(() => planInfer({ inputs, outputs: [{ name: 'det_boxes' }] }, d)).toThrow("unknown output 'det_boxes'; classifier c has logits");
  });

  it('a classifier takes the extension and no detection options; a detector refuses the extension', () => {
    const request = { inputs, parameters: { class_count: 2 } };
    expect(planInfer(request, d)).toMatchObject({ task: 'classify', ignored: [] });
    expect(planInfer({ inputs, parameters: { conf: 5 } }, d).ignored).toEqual(['conf']);
    expect(() => planInfer(request, detector)).toThrow(/classification extension is not supported/);
  });
});
