import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECT_OPTIONS } from '../../../core/options/index.js';
import { parseInferParams, refuseClassification } from './params.js';

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
