/**
 * @module infra/manifest/fields
 * zod building blocks whose messages read like the rest of detectfn ("expected positive
 * integer"), so a manifest error says what to write, not which zod check failed.
 */
import { z } from 'zod';

export const posInt = (max = Number.MAX_SAFE_INTEGER) =>
  z.number({ error: 'expected positive integer' }).int({ error: 'expected positive integer' })
    .min(1, { error: 'expected positive integer' }).max(max, { error: `expected integer at most ${max}` });

export const nonNegInt = (max: number) =>
  z.number({ error: `expected integer between 0 and ${max}` }).int({ error: `expected integer between 0 and ${max}` })
    .min(0, { error: `expected integer between 0 and ${max}` }).max(max, { error: `expected integer between 0 and ${max}` });

export const unitInterval = () =>
  z.number({ error: 'expected number between 0 and 1' }).min(0, { error: 'expected number between 0 and 1' })
    .max(1, { error: 'expected number between 0 and 1' });

export const positiveNumber = () =>
  z.number({ error: 'expected positive number' }).positive({ error: 'expected positive number' });

export const nonEmpty = (what = 'non-empty string') => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

export const bool = () => z.boolean({ error: 'expected true or false' });

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.join(', ')}` });

/** Three per-channel numbers (mean, std). */
export const triple = () =>
  z.tuple([z.number(), z.number(), z.number()], { error: 'expected [number, number, number]' });

/** A model URI: s3://bucket/key, file:///absolute/path, or a plain path. */
export const modelUri = () =>
  nonEmpty('s3://bucket/key, file:// URL or path').refine(
    (u) => (u.startsWith('s3://') ? /^s3:\/\/[^/]+\/.+/.test(u) : u.startsWith('file://') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)),
    { error: 'expected s3://bucket/key, file:// URL or path' },
  );
