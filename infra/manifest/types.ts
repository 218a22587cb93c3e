/**
 * @module infra/manifest/types
 * The parsed manifest: every default filled in, and read-only all the way down.
 */
import type { z } from 'zod';
import type { manifestSchema } from './schema.js';

// A homomorphic mapped type keeps tuples as tuples (mean/std stay [number, number, number]).
type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type ModelManifest = DeepReadonly<z.output<typeof manifestSchema>>;

/** What crossCheckManifest found compatible: the labels to serve, and non-fatal notes. */
export interface CrossCheckResult {
  readonly labels: string[];
  readonly warnings: string[];
}
