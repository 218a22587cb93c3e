import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECT_OPTIONS } from '../../../core/options/index.js';
import { parseInferParams } from './params.js';

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
