// The package's entry points (package.json "exports"): dist/index.js (`detectfn`, Node) and
// dist/core.js (`detectfn/core`, runtime-neutral), built together with code splitting so the
// core code both reach lives once, in a shared chunk: `DetectError` from either entry is the
// same class. Every runtime dependency stays external (installed beside the package, deduped
// by npm), and core.js is built for the neutral platform, so a Node import in core/ fails the
// build. Declarations come from tsc (tsconfig.types.json) into dist/types/.
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

export async function buildPackageEntries({ external, declarations = true }) {
  const t0 = performance.now();
  // Chunk names change with their content: drop the last build's, or the tarball carries them.
  for (const f of readdirSync('dist', { withFileTypes: true })) if (f.isFile() && f.name.startsWith('chunk-')) rmSync(`dist/${f.name}`);
  // core alone, for the neutral platform: proves at build time that it needs no Node API.
  await build({ entryPoints: { core: 'core/index.ts' }, bundle: true, platform: 'neutral', format: 'esm', target: 'es2022', write: false, logLevel: 'error' }).catch((err) => {
    throw new Error(`detectfn/core must run without Node: core/ imports something only Node has (see above): ${err.message}`);
  });
  await build({
    entryPoints: { index: 'index.ts', core: 'core/index.ts' },
    outdir: 'dist',
    // Chunks sit beside the entries: infra code finds its worker bundles relative to its own URL.
    chunkNames: 'chunk-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    external: [...external, ...Object.keys(pkg.dependencies ?? {})],
    logLevel: 'warning',
  });
  const t1 = performance.now();
  if (!declarations) return void console.log(`build: package entries index, core in ${(t1 - t0).toFixed(0)} ms (declarations skipped)`);
  // Incremental: the build info (dist/types.tsbuildinfo, removed with dist/) makes a rebuild cheap.
  await promisify(execFile)(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json']).catch((err) => {
    throw new Error(`declarations (tsc -p tsconfig.types.json) failed:\n${err.stdout}${err.stderr}`);
  });
  console.log(`build: package entries index, core in ${(t1 - t0).toFixed(0)} ms, declarations in ${(performance.now() - t1).toFixed(0)} ms`);
}
