/**
 * @module core/options.test
 *
 */
import { describe, expect, it } from 'vitest';
import { DetectError } from './errors.js';
import { DEFAULT_DETECT_OPTIONS, parseDetectOptions } from './options.js';

function errorOf(fn: () => unknown): DetectError {
  try {
    fn();
  } catch (err) {
    return err as DetectError;
  }
  throw new Error('expected a throw');
}

describe('DEFAULT_DETECT_OPTIONS', () => {
  it('holds the Ultralytics predict defaults and is frozen', () => {
    expect(DEFAULT_DETECT_OPTIONS).toEqual({ conf: 0.25, iou: 0.7, maxDet: 300, agnostic: false, maxNms: 30000 });
    expect(Object.isFrozen(DEFAULT_DETECT_OPTIONS)).toBe(true);
  });
});

describe('parseDetectOptions', () => {
  it('returns the defaults for an empty input', () => {
    expect(parseDetectOptions({})).toEqual(DEFAULT_DETECT_OPTIONS);
  });

  it('accepts numbers and numeric strings', () => {
    const o = parseDetectOptions({ conf: '0.5', iou: 0.45, maxDet: '100', maxNms: 1000 });
    expect(o).toMatchObject({ conf: 0.5, iou: 0.45, maxDet: 100, maxNms: 1000 });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('accepts classes as an array or a comma list', () => {
    expect(parseDetectOptions({ classes: [0, 2] }).classes).toEqual([0, 2]);
    expect(parseDetectOptions({ classes: '0, 2,5' }).classes).toEqual([0, 2, 5]);
    expect(parseDetectOptions({ classes: '' }).classes).toEqual([]);
  });

  it('accepts booleans as true/false/"true"/"1"/"0"', () => {
    expect(parseDetectOptions({ agnostic: true }).agnostic).toBe(true);
    expect(parseDetectOptions({ agnostic: 'true' }).agnostic).toBe(true);
    expect(parseDetectOptions({ agnostic: '1' }).agnostic).toBe(true);
    expect(parseDetectOptions({ agnostic: 'false' }).agnostic).toBe(false);
    expect(parseDetectOptions({ agnostic: '0' }).agnostic).toBe(false);
  });

  it('keeps base values for absent fields', () => {
    const base = parseDetectOptions({ conf: 0.1, classes: [3] });
    expect(parseDetectOptions({ iou: 0.5 }, base)).toMatchObject({ conf: 0.1, iou: 0.5, classes: [3] });
  });

  it.each([
    ['conf', { conf: 1.5 }],
    ['conf', { conf: '' }],
    ['conf', { conf: 'abc' }],
    ['iou', { iou: -0.1 }],
    ['maxDet', { maxDet: 0 }],
    ['maxDet', { maxDet: 10001 }],
    ['maxDet', { maxDet: '2.5' }],
    ['maxNms', { maxNms: 0 }],
    ['agnostic', { agnostic: 'yes' }],
    ['classes', { classes: '0,x' }],
    ['classes', { classes: [-1] }],
    ['classes', { classes: 3 }],
  ])('rejects a bad %s with INVALID_ARGUMENT naming it (%j)', (field, raw) => {
    const err = errorOf(() => parseDetectOptions(raw));
    expect(err).toBeInstanceOf(DetectError);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain(` for ${field} but received`);
    expect(err.details).toEqual({ field });
  });

  it('gives the shared message shape', () => {
    expect(errorOf(() => parseDetectOptions({ maxDet: 0 })).message).toBe(
      'Expected integer between 1 and 10000 for maxDet but received 0 of type number',
    );
  });
});
