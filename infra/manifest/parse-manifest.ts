/**
 * @module infra/manifest/parse-manifest
 * Validates a manifest once, at start-up, and fills in every default. Errors name the origin
 * and the field path: "manifest models/x.json: batching.batchSizes[1]: expected positive integer".
 */
import path from 'node:path';
import { DetectError } from '../../core/errors/index.js';
import { manifestSchema } from './schema.js';
import { taskFieldProblems } from './task-fields.js';
import type { ModelManifest } from './types.js';

/** `origin` (a file path or "env DETECTFN_MODELS") only appears in error messages. */
export function parseManifest(json: unknown, origin: string): ModelManifest {
  const result = manifestSchema.safeParse(json);
  const wrongTask = taskFieldProblems(json);
  if (result.success && wrongTask.length === 0) return deepFreeze(result.data);
  const issues = [
    ...(result.success ? [] : result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }))),
    ...wrongTask,
  ];
  const problems = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  throw new DetectError('CONFIG_INVALID', `manifest ${origin}: ${problems.join('; ')}`, {
    details: { origin, fields: issues.map((i) => i.path) },
  });
}

/**
 * The same manifest with a relative plain-path source resolved against `baseDir`;
 * s3:// URIs, file:// URLs and absolute paths are left as they are.
 */
export function resolveSource(manifest: ModelManifest, baseDir: string): ModelManifest {
  const uri = manifest.source.uri;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || path.isAbsolute(uri)) return manifest;
  return deepFreeze({ ...manifest, source: { ...manifest.source, uri: path.resolve(baseDir, uri) } });
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
