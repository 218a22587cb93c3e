/**
 * @module handlers/serve/model-paths
 * Which models a server loads: DETECTFN_MODELS when set (relative to the working directory),
 * else every manifest in models/*.json (the repo ships models/demo.json, the generated demo
 * model, which needs `npm run build` to exist). models/ is found next
 * to the running code (dist/server.js or handlers/serve/*.ts), never the working directory,
 * so `node dist/server.js` works from anywhere.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DetectError } from '../../core/errors/index.js';

/** The nearest `models/` folder at or above this file's folder (at most three levels up). */
export function findModelsDir(from = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'models');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

export function resolveModelPaths(configured: readonly string[], modelsDir = findModelsDir()): string[] {
  if (configured.length > 0) return configured.map((m) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(m) ? m : path.resolve(m)));
  if (modelsDir === undefined) {
    throw new DetectError('CONFIG_INVALID', 'no models configured: set DETECTFN_MODELS (no models/ folder beside the code)');
  }
  const manifests = readdirSync(modelsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(modelsDir, f));
  if (manifests.length > 0) return manifests;
  throw new DetectError('CONFIG_INVALID', `no models configured: set DETECTFN_MODELS or add a manifest to ${modelsDir} (e.g. demo.json)`);
}
