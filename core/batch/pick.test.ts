import { describe, expect, it } from 'vitest';
import { pickBatchSize } from './index.js';

describe('pickBatchSize', () => {
  it('picks the smallest allowed size that fits, else the largest', () => {
    expect(pickBatchSize(1, [1, 2, 4, 8])).toBe(1);
    expect(pickBatchSize(3, [1, 2, 4, 8])).toBe(4);
    expect(pickBatchSize(8, [1, 2, 4, 8])).toBe(8);
    expect(pickBatchSize(9, [1, 2, 4, 8])).toBe(8);
    expect(pickBatchSize(5, [1])).toBe(1); // fixed batch-1 model
  });

  it('validates allowed and count', () => {
    expect(() => pickBatchSize(1, [])).toThrow('Expected non-empty array of batch sizes for allowed but received  of type object');
    expect(() => pickBatchSize(1, [1, 4, 2])).toThrow('Expected integer above allowed[1] (sorted, no repeats) for allowed[2] but received 2 of type number');
    expect(() => pickBatchSize(1, [0, 2])).toThrow(/allowed\[0\]/);
    expect(() => pickBatchSize(0, [1])).toThrow(/count/);
  });
});
