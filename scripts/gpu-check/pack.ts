/**
 * @module scripts/gpu-check/pack
 * `npm run gpu-pack` (after the build): writes .gpu-pack/ (see layout.ts) for
 * scripts/gpu-check.sh on a GPU machine with no network, prints its size and fails when it is
 * over PACK_LIMIT_BYTES. Flags: --no-node (the GPU image has node), --no-vulkan.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { planLetterbox } from '../../core/geometry.js';
import { createSharpDecoder } from '../../infra/image/decoder.js';
import { IMAGES, MODELS } from '../../test/helpers/shared-data.js';
import { BROTLI_SUFFIX, INPUTS_FILE, MODEL_FILE, ORT_BIN, ORT_LIB, PACK_DIR, PACK_LIMIT_BYTES, type PackedInput, type PackManifest } from './layout.js';
import { brotli, compressedCopy, copyInto, fileSizes, vulkanLoader } from './pack-files.js';

const app = join(PACK_DIR, 'app');
const args = new Set(process.argv.slice(2));

async function bundleCheck(): Promise<void> {
  if (!existsSync('dist/engine-worker.js')) throw new Error('dist/engine-worker.js is missing: run `npm run build` first');
  copyInto('dist/engine-worker.js', join(app, 'dist/engine-worker.js'));
  await build({
    // Two bundles: the launcher stages onnxruntime first, then imports the check from the staged
    // copy, where `onnxruntime-node` resolves to the inflated library (the engine imports it).
    entryPoints: { 'gpu-check': 'scripts/gpu-check/check.ts', 'gpu-check-run': 'scripts/gpu-check/run.ts' },
    outdir: join(app, 'dist'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // piscina starts its threads from its own worker file: it travels as a package (copyPiscina).
    external: ['onnxruntime-node', 'sharp', 'piscina'],
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}

/** onnxruntime-node's JS and linux-x64 binaries plus onnxruntime-common's CommonJS build (what `require` resolves). */
function copyOrt(): void {
  for (const pkg of ['onnxruntime-node', 'onnxruntime-common']) {
    copyInto(`node_modules/${pkg}/package.json`, join(app, `node_modules/${pkg}/package.json`));
  }
  const jsUnder = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      // Their package.json files too: dist/cjs/package.json is what makes those .js files CommonJS.
      if (e.isFile() && (e.name.endsWith('.js') || e.name === 'package.json')) copyInto(join(e.parentPath, e.name), join(app, e.parentPath, e.name));
    }
  };
  jsUnder('node_modules/onnxruntime-node/dist');
  jsUnder('node_modules/onnxruntime-common/dist/cjs');
  copyInto(`${ORT_BIN}/onnxruntime_binding.node`, join(app, ORT_BIN, 'onnxruntime_binding.node'));
  compressedCopy(`${ORT_BIN}/${ORT_LIB}`, join(app, ORT_BIN, ORT_LIB + BROTLI_SUFFIX), 'br');
}

/** piscina's CommonJS build and package.json (what the engine's import and its worker file resolve). */
function copyPiscina(): void {
  copyInto('node_modules/piscina/package.json', join(app, 'node_modules/piscina/package.json'));
  for (const e of readdirSync('node_modules/piscina/dist', { withFileTypes: true, recursive: true })) {
    if (e.isFile() && (e.name.endsWith('.js') || e.name.endsWith('.mjs'))) copyInto(join(e.parentPath, e.name), join(app, e.parentPath, e.name));
  }
}

/** bus.jpg and zidane.jpg through the project's decoder and default 640 letterbox, as the service would feed them. */
async function packInputs(): Promise<PackedInput[]> {
  const decoder = createSharpDecoder({ workers: 0 });
  const inputs: PackedInput[] = [];
  for (const [name, path] of [['bus', IMAGES.bus()], ['zidane', IMAGES.zidane()]] as const) {
    const image = await decoder.decode(readFileSync(path), (source) => planLetterbox(source));
    const file = `inputs/${name}.rgb${BROTLI_SUFFIX}`;
    mkdirSync(join(PACK_DIR, 'inputs'), { recursive: true });
    writeFileSync(join(PACK_DIR, file), brotli(image.pixels));
    inputs.push({ name, file, plan: image.plan });
  }
  await decoder.close();
  writeFileSync(join(PACK_DIR, INPUTS_FILE), JSON.stringify(inputs, null, 2));
  return inputs;
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

rmSync(PACK_DIR, { recursive: true, force: true });
await bundleCheck();
copyOrt();
copyPiscina();
copyInto(MODELS.yolov8n(), join(PACK_DIR, MODEL_FILE));
const inputs = await packInputs();
if (!args.has('--no-node')) compressedCopy(process.execPath, join(PACK_DIR, 'node/node.xz'), 'xz');
if (!args.has('--no-vulkan')) {
  const loader = vulkanLoader();
  if ('path' in loader) copyInto(loader.path, join(PACK_DIR, 'vulkan/libvulkan.so.1'));
  else console.warn(`gpu-pack: no Vulkan loader packed (${loader.error}); the GPU machine must have libvulkan.so.1`);
}
const files = fileSizes(PACK_DIR);
const totalBytes = Object.values(files).reduce((a, b) => a + b, 0);
const ortVersion = (JSON.parse(readFileSync('node_modules/onnxruntime-node/package.json', 'utf8')) as { version: string }).version;
const manifest: PackManifest = {
  createdAt: new Date().toISOString(),
  totalBytes,
  limitBytes: PACK_LIMIT_BYTES,
  files,
  nodeVersion: process.version,
  ortVersion,
  inputs,
};
writeFileSync(join(PACK_DIR, 'pack.json'), JSON.stringify(manifest, null, 2));
console.log(`gpu-pack: ${PACK_DIR}/ holds ${Object.keys(files).length} files, ${mib(totalBytes)} (limit ${mib(PACK_LIMIT_BYTES)})`);
if (totalBytes > PACK_LIMIT_BYTES) {
  console.error(`gpu-pack: ${PACK_DIR}/ is ${mib(totalBytes)}, over the ${mib(PACK_LIMIT_BYTES)} limit`);
  process.exitCode = 1;
}
