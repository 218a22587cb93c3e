import { describe, expect, it } from 'vitest';
import { DetectError } from './errors.js';
import {
  DEFAULT_CLASSIFY_OPTIONS,
  DEFAULT_DETECT_OPTIONS,
  parseBoolean,
  parseClassifyParams,
  parseDetectParams,
  refuseUnknownParams,
} from './options.js';

function errorOf(fn: () => unknown): DetectError {
  try {
    fn();
  } catch (err) {
    return err as DetectError;
  }
  throw new Error('expected a throw');
}

const detect = (fields: Record<string, unknown>) => parseDetectParams(fields, DEFAULT_DETECT_OPTIONS).options;

describe('DEFAULT_DETECT_OPTIONS', () => {
  it('holds the Ultralytics predict defaults and is frozen', () => {
    expect(DEFAULT_DETECT_OPTIONS).toEqual({ conf: 0.25, iou: 0.7, maxDet: 300, agnostic: false, maxNms: 30000 });
    expect(Object.isFrozen(DEFAULT_DETECT_OPTIONS)).toBe(true);
    expect(DEFAULT_CLASSIFY_OPTIONS).toEqual({ topK: 5 });
  });
});

describe('parseBoolean, the one boolean reading of every surface', () => {
  it.each([true, 1, 'true', '1', ''])('reads %j as true (an empty value is a bare flag)', (v) => expect(parseBoolean('f', v)).toBe(true));
  it.each([false, 0, 'false', '0'])('reads %j as false', (v) => expect(parseBoolean('f', v)).toBe(false));
  it.each(['yes', 'no', 'TRUE', 2, null, {}])('refuses %j naming the field', (v) => {
    const err = errorOf(() => parseBoolean('agnostic', v));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^Expected boolean \(true, false, 1, 0\) for agnostic but received/);
  });
});

describe('parseDetectParams', () => {
  it('returns the base for no fields', () => {
    expect(detect({})).toEqual(DEFAULT_DETECT_OPTIONS);
  });

  it('accepts numbers and numeric strings under the wire and the field names', () => {
    const o = detect({ conf: '0.5', iou: 0.45, max_det: '100', maxNms: 1000 });
    expect(o).toMatchObject({ conf: 0.5, iou: 0.45, maxDet: 100, maxNms: 1000 });
    expect(Object.isFrozen(o)).toBe(true);
    expect(detect({ maxDet: 7, max_nms: '9' })).toMatchObject({ maxDet: 7, maxNms: 9 });
  });

  it('accepts classes as an array or a comma list', () => {
    expect(detect({ classes: [0, 2] }).classes).toEqual([0, 2]);
    expect(detect({ classes: '0, 2,5' }).classes).toEqual([0, 2, 5]);
    expect(detect({ classes: '' }).classes).toEqual([]);
  });

  it('reads agnostic with the one boolean reading, a bare flag included', () => {
    expect(detect({ agnostic: '' }).agnostic).toBe(true);
    expect(detect({ agnostic: 'true' }).agnostic).toBe(true);
    expect(detect({ agnostic: '0' }).agnostic).toBe(false);
  });

  it('keeps base values for absent (undefined or null) fields', () => {
    const base = { ...DEFAULT_DETECT_OPTIONS, conf: 0.1, classes: [3] };
    expect(parseDetectParams({ iou: 0.5, conf: null }, base).options).toMatchObject({ conf: 0.1, iou: 0.5, classes: [3] });
  });

  it('hands back every field that is not an option, as given', () => {
    const { rest } = parseDetectParams({ conf: 0.3, format: 'padded', render: '', top_k: 3 }, DEFAULT_DETECT_OPTIONS);
    expect(rest).toEqual({ format: 'padded', render: '', top_k: 3 });
  });

  it('never reads inherited keys as options', () => {
    const fields = JSON.parse('{"__proto__": {"conf": 0.9}, "constructor": 1}') as Record<string, unknown>;
    const { options, rest } = parseDetectParams(fields, DEFAULT_DETECT_OPTIONS);
    expect(options.conf).toBe(0.25);
    expect(Object.keys(rest).sort()).toEqual(['__proto__', 'constructor']);
  });

  it.each([
    ['conf', { conf: 1.5 }],
    ['conf', { conf: '' }],
    ['conf', { conf: 'abc' }],
    ['iou', { iou: -0.1 }],
    ['max_det', { max_det: 0 }],
    ['maxDet', { maxDet: 10001 }],
    ['max_det', { max_det: '2.5' }],
    ['max_nms', { max_nms: 0 }],
    ['agnostic', { agnostic: 'yes' }],
    ['classes', { classes: '0,x' }],
    ['classes', { classes: [-1] }],
    ['classes', { classes: 3 }],
  ])('refuses a bad %s with INVALID_ARGUMENT naming it as sent (%j)', (field, raw) => {
    const err = errorOf(() => detect(raw));
    expect(err).toBeInstanceOf(DetectError);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain(` for ${field} but received`);
    expect(err.details).toEqual({ field });
  });

  it('gives the shared message shape, with the surface\'s own spelling when it has one', () => {
    expect(errorOf(() => detect({ max_det: 0 })).message).toBe('Expected integer between 1 and 10000 for max_det but received 0 of type number');
    const cli = errorOf(() => parseDetectParams({ max_det: 'x' }, DEFAULT_DETECT_OPTIONS, { label: (n) => `--${n.replace('_', '-')}` }));
    expect(cli.message).toBe('Expected integer between 1 and 10000 for --max-det but received "x" of type string');
  });
});

describe('parseClassifyParams', () => {
  it('defaults to 5, takes top_k or topK as numbers or numeric strings', () => {
    expect(parseClassifyParams({}).options).toEqual({ topK: 5 });
    expect(parseClassifyParams({ top_k: '3' }).options.topK).toBe(3);
    expect(parseClassifyParams({ topK: 7 }).options.topK).toBe(7);
    expect(parseClassifyParams({ top_k: 2, conf: 1 }).rest).toEqual({ conf: 1 });
  });
  it('refuses the rest naming top_k', () => {
    expect(() => parseClassifyParams({ top_k: 0 })).toThrow(/top_k/);
    expect(() => parseClassifyParams({ top_k: 'x' })).toThrow(/Expected integer between 1 and 1000 for top_k but received "x"/);
    expect(() => parseClassifyParams({ top_k: 1.5 })).toThrow(DetectError);
  });
});

describe('refuseUnknownParams', () => {
  it('passes accepted names and refuses the first other one, listing what is accepted', () => {
    expect(() => refuseUnknownParams({ format: 'json' }, ['format', 'render'])).not.toThrow();
    const err = errorOf(() => refuseUnknownParams({ maxdet: 5 }, ['conf', 'max_det']));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe('Expected one of conf, max_det for parameter name but received "maxdet" of type string');
  });
});
