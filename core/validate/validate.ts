/**
 * @module core/validate
 * Argument checks in one place, with one message shape (after sharp's is.mjs):
 * "Expected positive integer for width but received 1.5 of type number".
 * Validation happens once, where input enters; everything behind it trusts its arguments.
 */
import { DetectError } from '../errors/index.js';

export function describe(value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${shown.length > 60 ? shown.slice(0, 57) + '...' : shown} of type ${typeof value}`;
}

export function invalidParameterError(name: string, expected: string, actual: unknown): DetectError {
  return new DetectError('INVALID_ARGUMENT', `Expected ${expected} for ${name} but received ${describe(actual)}`, {
    details: { field: name },
  });
}

export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isInteger = (v: unknown): v is number => Number.isInteger(v);
export const inRange = (v: number, min: number, max: number): boolean => v >= min && v <= max;

export function expectInteger(name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (!isInteger(v) || !inRange(v, min, max)) {
    throw invalidParameterError(name, `integer between ${min} and ${max}`, v);
  }
  return v;
}

export function expectNumber(name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (!isNumber(v) || !inRange(v, min, max)) {
    throw invalidParameterError(name, `number between ${min} and ${max}`, v);
  }
  return v;
}

export function expectOneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw invalidParameterError(name, `one of ${allowed.join(', ')}`, v);
  }
  return v as T;
}
