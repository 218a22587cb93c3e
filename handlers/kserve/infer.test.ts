import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECT_OPTIONS } from '../../core/options.js';
import type { ClassifyResult, ModelDescription } from '../../infra/model/registry.js';
import { decodeBytesElements } from './codec.js';
import { classifyOutputs, inferRequestParams, parseInferParams, refuseClassification, tritonClassString } from './infer.js';

describe('parseInferParams: timeout', () => {
  it('reads Triton\'s timeout in microseconds; absent or 0 means the server deadline alone', () => {
    expect(parseInferParams({ timeout: 250_000 }, DEFAULT_DETECT_OPTIONS).timeoutUs).toBe(250_000);
    expect(parseInferParams({}, DEFAULT_DETECT_OPTIONS).timeoutUs).toBe(0);
    expect(parseInferParams(undefined, DEFAULT_DETECT_OPTIONS).timeoutUs).toBe(0);
  });

  it('refuses a timeout that is not a non-negative integer, naming it', () => {
    expect(() => parseInferParams({ timeout: -1 }, DEFAULT_DETECT_OPTIONS)).toThrow(
      'Expected integer >= 0 (microseconds) for parameters.timeout but received -1 of type number',
    );
    expect(() => parseInferParams({ timeout: '5' }, DEFAULT_DETECT_OPTIONS)).toThrow('for parameters.timeout but received "5" of type string');
  });
});

describe('parseInferParams: names it does not know', () => {
  it('ignores them and reports them (KServe codecs send content_type), still reading the options it knows', () => {
    const p = parseInferParams({ content_type: 'np', conf: 0.5, custom: 1 }, DEFAULT_DETECT_OPTIONS);
    expect(p.ignored).toEqual(['content_type', 'custom']);
    expect(p.options.conf).toBe(0.5);
    expect(parseInferParams({ conf: 0.5, timeout: 5 }, DEFAULT_DETECT_OPTIONS).ignored).toEqual([]);
  });
});

describe('refuseClassification', () => {
  const inputs = [{ name: 'image', shape: [1], datatype: 'BYTES' as const }];
  it('refuses class_count / classification in the request or an output, naming the outputs served instead', () => {
    expect(() => refuseClassification({ inputs, parameters: { classification: 3 } })).toThrow(/^parameters\.classification: Triton's classification extension is not supported; .*num_dets, det_boxes, det_scores, det_classes/);
    expect(() => refuseClassification({ inputs, outputs: [{ name: 'det_scores' }, { name: 'det_classes', parameters: { class_count: 2 } }] })).toThrow(/^outputs\[1\]\.parameters\.class_count: /);
    expect(() => refuseClassification({ inputs, parameters: { conf: 0.4 }, outputs: [{ name: 'det_classes' }] })).not.toThrow();
  });
});

describe('parseInferParams: sequences', () => {
  it('refuses a sequence request (there is no sequence batcher), naming the parameter', () => {
    expect(() => parseInferParams({ sequence_id: 7 }, DEFAULT_DETECT_OPTIONS)).toThrow(/^parameters.sequence_id: sequence batching is not supported/);
    expect(() => parseInferParams({ sequence_id: 'abc' }, DEFAULT_DETECT_OPTIONS)).toThrow(/parameters.sequence_id/);
    expect(() => parseInferParams({ sequence_start: true }, DEFAULT_DETECT_OPTIONS)).toThrow(/parameters.sequence_start/);
  });

  it('accepts the values clients send outside a sequence (0, "", false)', () => {
    const p = parseInferParams({ sequence_id: 0, sequence_start: false, sequence_end: false }, DEFAULT_DETECT_OPTIONS);
    expect(p.ignored).toEqual([]);
  });
});

// ---- classification.test ----
const d = { name: 'c', task: 'classify', outputName: 'logits', labels: ['a', 'b', 'c'] } as unknown as ModelDescription;
const inputs = [{ name: 'image', shape: [2], datatype: 'BYTES' as const }];
const timings = { decode: 0, preprocess: 0, queue: 0, infer: 0, postprocess: 0, total: 0 };
/** Two items, every class, best first (as the route asks: topK = classes). */
const results: ClassifyResult[] = [
  { model: 'c', version: '1', image: { width: 1, height: 1 }, batchSize: 2, timings, classes: [{ classId: 2, label: 'c', score: 0.7 }, { classId: 0, label: 'a', score: 0.2 }, { classId: 1, label: 'b', score: 0.1 }] },
  { model: 'c', version: '1', image: { width: 1, height: 1 }, batchSize: 2, timings, classes: [{ classId: 1, label: 'b', score: 0.5 }, { classId: 2, label: 'c', score: 0.3 }, { classId: 0, label: 'a', score: 0.2 }] },
];

describe('classifyOutputs', () => {
  it('without the extension: FP32 [B, classes] in class-id order', () => {
    const [out] = classifyOutputs(results, d, { inputs }, false);
    expect(out).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [2, 3], binary: false });
    expect(Array.from(out!.values as Float32Array)).toEqual([0.2, 0.1, 0.7, 0.2, 0.5, 0.3].map((v) => expect.closeTo(v, 6)));
  });

  it('with classification N: BYTES [B, N] "score:index:label", the same strings in JSON and binary form', () => {
    const [out] = classifyOutputs(results, d, { inputs, outputs: [{ name: 'logits', parameters: { classification: 2, binary_data: true } }] }, false);
    expect(out).toMatchObject({ datatype: 'BYTES', shape: [2, 2], binary: true });
    expect(out!.text).toEqual(['0.700000:2:c', '0.200000:0:a', '0.500000:1:b', '0.300000:2:c']);
    expect(decodeBytesElements(out!.values as Uint8Array, 4, 'x').map((b) => Buffer.from(b).toString())).toEqual(out!.text);
    expect(tritonClassString(15.34623, 409, 'analog clock')).toBe('15.346230:409:analog clock'); // as std::to_string prints
  });

  it('refuses counts outside 1..classes and unknown outputs, naming them', () => {
    expect(() => classifyOutputs(results, d, { inputs, parameters: { class_count: 0 } }, false)).toThrow('Expected integer between 1 and 3 (the model\'s classes) for parameters.class_count but received 0');
    expect(() => classifyOutputs(results, d, { inputs, outputs: [{ name: 'logits', parameters: { classification: 'x' } }] }, false)).toThrow(/outputs\[0\]\.parameters\.classification/);
    expect(() => classifyOutputs(results, d, { inputs, outputs: [{ name: 'det_boxes' }] }, false)).toThrow("unknown output 'det_boxes'; classifier c has logits");
  });

  it('inferRequestParams lets a classifier through and still refuses the extension on a detector', () => {
    const request = { inputs, parameters: { class_count: 2 } };
    expect(inferRequestParams(request, DEFAULT_DETECT_OPTIONS, 'classify').ignored).toEqual([]);
    expect(() => inferRequestParams(request, DEFAULT_DETECT_OPTIONS, 'detect')).toThrow(/classification extension is not supported/);
  });
});
