/**
 * @module core/normalize/plan
 * Validates NormalizeOptions once and reduces them to per-source-channel constants.
 * (x * scale - mean) / std is computed as (x - mean/scale) / (std/scale) in float32: with the
 * defaults that is x / 255 exactly rounded (what numpy and torch give), and both kernels do the
 * same two float32 operations, so their outputs are bit-identical.
 */
import { expectNumber, expectOneOf, invalidParameterError } from '../validate/index.js';
import { DEFAULT_NORMALIZE, type ChannelMap, type NormalizeOptions, type NormalizePlan } from './types.js';

const ORDERS = ['rgb', 'bgr'] as const;

function triple(name: string, v: unknown, fallback: number, nonZero: boolean): readonly number[] {
  if (v === undefined) return [fallback, fallback, fallback];
  if (!Array.isArray(v) || v.length !== 3) throw invalidParameterError(name, 'array of 3 numbers', v);
  return v.map((x: unknown, i) => {
    const n = expectNumber(`${name}[${i}]`, x);
    if (nonZero && n === 0) throw invalidParameterError(`${name}[${i}]`, 'non-zero number', x);
    return n;
  });
}

export function planNormalize(options: Partial<NormalizeOptions> = {}): NormalizePlan {
  const o = { ...DEFAULT_NORMALIZE, ...options };
  const scale = expectNumber('scale', o.scale, Number.MIN_VALUE);
  const mean = triple('mean', o.mean, 0, false);
  const std = triple('std', o.std, 1, true);
  const source = expectOneOf('sourceOrder', o.sourceOrder, ORDERS);
  const model = expectOneOf('modelOrder', o.modelOrder, ORDERS);
  const dtype = expectOneOf('dtype', o.dtype, ['float32', 'float16'] as const);
  const swap = source !== model;
  const channel = (c: number): ChannelMap => {
    const plane = swap ? 2 - c : c;
    return { plane, sub: Math.fround(mean[plane]! / scale), div: Math.fround(std[plane]! / scale) };
  };
  return { dtype, channels: [channel(0), channel(1), channel(2)] };
}

/** The value both kernels produce for pixel value `x` of a channel. */
export function normalizeValue(x: number, c: ChannelMap): number {
  return Math.fround(Math.fround(x - c.sub) / c.div);
}
