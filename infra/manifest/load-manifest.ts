/**
 * @module infra/manifest/load-manifest
 * Manifests from files, and the default manifest for a bare ONNX path (a YOLOv8 export).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DetectError } from '../../core/errors/index.js';
import { parseManifest, resolveSource } from './parse-manifest.js';
import type { ModelManifest } from './types.js';

/** Reads and validates a manifest; a relative source path is taken relative to the manifest's folder. */
export async function loadManifest(file: string): Promise<ModelManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DetectError('CONFIG_INVALID', `manifest ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DetectError('CONFIG_INVALID', `manifest ${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return resolveSource(parseManifest(json, file), path.dirname(path.resolve(file)));
}

/**
 * The manifest a model gets when it is configured by its path or URI alone: every default
 * (YOLOv8 layout, labels from the model's metadata), named after the file without extension.
 */
export function defaultManifestForOnnx(uri: string): ModelManifest {
  const base = path.posix.basename(uri.replace(/\\/g, '/')).replace(/\.onnx$/i, '');
  const name = base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'model';
  return resolveSource(parseManifest({ name, source: { uri } }, uri), process.cwd());
}
