// Builds everything `npm start`, the tests and the package need: the esbuild bundles in dist/
// (native packages stay external), the package entries with their declarations
// (scripts/build-package.mjs), and the demo model, which the project generates from code.
import { build } from 'esbuild';
import { cpSync, existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { buildNativeDecoder } from './build-native.mjs';
import { buildPackageEntries } from './build-package.mjs';

// piscina starts its threads from its own worker file (next to its index), so it cannot be bundled.
const EXTERNAL = ['onnxruntime-node', 'sharp', 'piscina', 'testcontainers', 'autocannon', 'pino', 'thread-stream'];

// entry -> output name. The engine worker is its own bundle: worker_threads load it by path.
const ENTRIES = {
  'handlers/server.ts': 'server',
  'handlers/lambda-main.ts': 'lambda',
  'handlers/cli/main.ts': 'cli',
  'infra/engine/worker.ts': 'engine-worker',
  'infra/image/decode-worker.ts': 'decode-worker',
  'models/demo/demo-model.ts': 'build-demo-model',
  'models/colour-classifier.ts': 'build-colour-models',
};

const t0 = performance.now();
const entryPoints = Object.fromEntries(
  Object.entries(ENTRIES)
    .filter(([src]) => existsSync(src))
    .map(([src, out]) => [out, src]),
);
await build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external: EXTERNAL,
  logLevel: 'warning',
  // ESM bundles that contain CommonJS dependencies need a real `require`.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
// The gRPC listener loads its .proto files from beside the bundle (handlers/grpc/server.ts).
cpSync('handlers/grpc/proto', 'dist/proto', { recursive: true });
// The web page's source (handlers/http/page.ts reads it from beside the bundle at start).
cpSync('handlers/http/ui', 'dist/ui', { recursive: true });
console.log(`build: ${buildNativeDecoder()}`);
console.log(`build: bundled ${Object.keys(entryPoints).join(', ')} in ${(performance.now() - t0).toFixed(0)} ms`);
// `npm start` passes --no-declarations: serving needs the bundles, not the package's .d.ts files.
await buildPackageEntries({ external: EXTERNAL, declarations: !process.argv.includes('--no-declarations') });

if (existsSync('dist/build-demo-model.js')) {
  const { buildDemoModelFile } = await import('../dist/build-demo-model.js');
  const t1 = performance.now();
  const out = await buildDemoModelFile();
  console.log(`build: demo model ${out} in ${(performance.now() - t1).toFixed(0)} ms`);
}
if (existsSync('dist/build-colour-models.js')) {
  const { buildColourModelFiles } = await import('../dist/build-colour-models.js');
  console.log(`build: test classifiers ${(await buildColourModelFiles()).join(', ')}`);
}
