import { describe, expect, it } from 'vitest';
import { DetectError } from '../errors/index.js';
import { classScores, parseTopK, softmax, topK } from './index.js';

describe('softmax', () => {
  it('matches exp(x) / sum(exp(x)) and stays finite for large logits', () => {
    const p = softmax([1, 2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const sum = e[0]! + e[1]! + e[2]!;
    p.forEach((v, i) => expect(v).toBeCloseTo(e[i]! / sum, 12));
    const big = softmax([1000, 1000, 999]);
    expect(Array.from(big).every(Number.isFinite)).toBe(true);
    expect(big[0]).toBeCloseTo(big[1]!, 12);
    expect(big[0]! + big[1]! + big[2]!).toBeCloseTo(1, 12);
  });
});

describe('topK', () => {
  it('orders by score, ties to the lower class id, labels by id', () => {
    const got = topK([0.1, 0.4, 0.1, 0.4], 3, ['a', 'b', 'c']);
    expect(got).toEqual([
      { classId: 1, label: 'b', score: 0.4 },
      { classId: 3, label: 'class3', score: 0.4 },
      { classId: 0, label: 'a', score: 0.1 },
    ]);
    expect(topK([1, 2], 5, ['a', 'b']).map((c) => c.classId)).toEqual([1, 0]);
  });
});

describe('parseTopK', () => {
  it('defaults to 5, takes numeric strings, refuses the rest naming top_k', () => {
    expect(parseTopK(undefined)).toBe(5);
    expect(parseTopK('3')).toBe(3);
    expect(() => parseTopK(0)).toThrow(/top_k/);
    expect(() => parseTopK('x')).toThrow(/Expected integer between 1 and 1000 for top_k but received "x"/);
    expect(() => parseTopK(1.5)).toThrow(DetectError);
  });
});

describe('classScores', () => {
  it('reads item rows of a [N, C] output, softmaxed for logits, as given for probabilities', () => {
    const outputs = { out: { dtype: 'float32' as const, dims: [2, 3], data: Float32Array.from([0, 0, 0, 0.5, 0.25, 0.25]) } };
    expect(Array.from(classScores(outputs, 'out', 0, 'logits'))).toEqual([1 / 3, 1 / 3, 1 / 3].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(classScores(outputs, 'out', 1, 'probabilities'))).toEqual([0.5, 0.25, 0.25]);
    expect(() => classScores(outputs, 'missing', 0, 'logits')).toThrow(/missing/);
  });
});
