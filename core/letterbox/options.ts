/**
 * @module core/letterbox/options
 * Merges caller options over DEFAULT_LETTERBOX and validates them once, so the geometry in
 * plan.ts can trust every field.
 */
import { expectInteger, invalidParameterError } from '../validate/index.js';
import type { Size } from '../types.js';
import { DEFAULT_LETTERBOX } from './defaults.js';
import type { LetterboxOptions } from './types.js';

/** Largest side accepted anywhere: far above any model input, small enough to stay exact. */
export const MAX_SIDE = 1 << 16;

export function expectSize(name: string, size: unknown): Size {
  if (typeof size !== 'object' || size === null) throw invalidParameterError(name, 'object {width, height}', size);
  const s = size as Partial<Size>;
  return {
    width: expectInteger(`${name}.width`, s.width, 1, MAX_SIDE),
    height: expectInteger(`${name}.height`, s.height, 1, MAX_SIDE),
  };
}

function expectBoolean(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalidParameterError(name, 'boolean', v);
  return v;
}

export function resolveLetterboxOptions(options: Partial<LetterboxOptions> = {}): LetterboxOptions {
  const o = { ...DEFAULT_LETTERBOX, ...options };
  return {
    size: expectSize('size', o.size),
    stride: expectInteger('stride', o.stride, 1, MAX_SIDE),
    scaleUp: expectBoolean('scaleUp', o.scaleUp),
    auto: expectBoolean('auto', o.auto),
    center: expectBoolean('center', o.center),
    padValue: expectInteger('padValue', o.padValue, 0, 255),
  };
}
