/**
 * The production worker path: the esbuild bundle dist/engine-worker.js (built by
 * `npm run build`, which `npm test` runs first) loaded by a bundled caller under plain node.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';
import { MODELS, repoRoot } from '../helpers/shared-data.js';

// Inside the repo (dist/ is ignored) so the bundle's bare imports find node_modules.
const dir = mkdtempSync(path.join(repoRoot, 'dist', '.engine-dist-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a bundled caller runs the bundled dist/engine-worker.js under plain node', async () => {
  const worker = path.join(repoRoot, 'dist/engine-worker.js');
  expect(existsSync(worker), 'dist/engine-worker.js is missing: run `npm run build`').toBe(true);
  copyFileSync(worker, path.join(dir, 'engine-worker.js'));
  await build({
    entryPoints: [path.join(repoRoot, 'test/fixtures/engine-dist-smoke.ts')],
    outfile: path.join(dir, 'smoke.js'),
    bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['onnxruntime-node', 'piscina'], logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  const out = execFileSync(process.execPath, [path.join(dir, 'smoke.js'), MODELS.yolov8n()], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(JSON.parse(out)).toEqual({ provider: 'cpu', skipped: 1, dims: [1, 84, 8400], pixelDims: [2, 84, 8400] });
});
