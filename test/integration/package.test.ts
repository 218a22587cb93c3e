/**
 * The package as people get it: `npm pack` the built project (dist/ from `npm run build`),
 * install the tarball into a fresh project outside the repo (from the npm cache / registry,
 * onnxruntime-node's GPU download skipped), then under plain `node` (no tsx, no vitest):
 * import `detectfn` and `detectfn/core`, run core's letterbox + NMS, serve the packaged demo
 * model with `startServer` and detect a red rectangle over real HTTP (and get the web page), see a model that cannot
 * load fail with core's `DetectError`, and run the installed `detectfn` CLI. `detectfn/core` is also
 * bundled for the neutral platform with no externals and run in a bare V8 context (no
 * process, Buffer, require: what a browser, Deno or an edge runtime lacks), and both entries'
 * declarations are type-checked by tsc as a consumer would, core's without Node types.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/shared-data.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'detectfn-package-test-'));
const installed = path.join(dir, 'node_modules', 'detectfn');
// Plain node: no loader hooks (tsx) inherited from the test runner's environment.
const env = { ...process.env, NODE_OPTIONS: '', ONNXRUNTIME_NODE_INSTALL: 'skip' };

/** Core's letterbox + NMS on fixed numbers; the same source runs under node and in a bare V8 context. */
const CORE_CHECK = `function coreCheck(core) {
  const plan = core.planLetterbox({ width: 810, height: 1080 }, { size: { width: 640, height: 640 } });
  const boxes = new Float32Array([100, 100, 200, 200, 105, 105, 205, 205, 105, 105, 205, 205]);
  const c = { count: 3, boxes, scores: new Float32Array([0.9, 0.8, 0.7]), classIds: new Int32Array([0, 0, 1]) };
  const kept = Array.from(core.nms(c, { iou: 0.5, maxDet: 10, agnostic: false, maxNms: 100 }));
  const first = core.toSourceBoxes(boxes.subarray(0, 4), 1, plan);
  return { resized: plan.resized, pad: plan.pad, kept, first: Array.from(first, (v) => Math.round(v * 100) / 100) };
}`;
const CORE_EXPECTED = {
  resized: { width: 480, height: 640 },
  pad: { left: 80, top: 0, right: 80, bottom: 0 },
  // Box 1 overlaps box 0 of the same class (IoU 0.82 > 0.5) and goes; box 2 is another class.
  kept: [0, 2],
  first: [33.75, 168.75, 202.5, 337.5],
};

const CONSUMER = `import * as core from 'detectfn/core';
import * as detectfn from 'detectfn';
import sharp from 'sharp';
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
${CORE_CHECK}
const out = { core: coreCheck(core), sameErrorClass: detectfn.DetectError === core.DetectError };
try { await import('detectfn/dist/server.js'); out.deepImport = 'allowed'; } catch (err) { out.deepImport = err.code; }
// A model that cannot load: the server side's typed error, caught with core's class.
const broken = await detectfn.startServer({ env: { DETECTFN_MODELS: 'missing.json' }, config: { PORT: 0, HOST: '127.0.0.1' }, logger: detectfn.silentLogger() });
out.loadFailure = await broken.ready.then(() => 'ready', (err) => ({ isCoreDetectError: err instanceof core.DetectError, code: err.code, message: err.message }));
await broken.close();
const lines = [];
const destination = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\\n').filter(Boolean).map((l) => JSON.parse(l))); done(); } });
const running = await detectfn.startServer({ env: {}, config: { PORT: 0, HOST: '127.0.0.1' }, logger: detectfn.createLogger({ level: 'info', destination }) });
try {
  await running.ready;
  const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: 'white' } })
    .composite([{ input: { create: { width: 200, height: 120, channels: 3, background: 'red' } }, left: 100, top: 80 }])
    .png().toBuffer();
  writeFileSync('red.png', png);
  const res = await fetch(running.url + '/v1/models/demo/detect', { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
  out.detect = { status: res.status, body: await res.json() };
  // The web page is read from dist/ui/ beside the package's chunks.
  const page = await fetch(running.url + '/');
  out.page = { status: page.status, inlined: (await page.text()).includes('<script>') };
  // The JPEG addon ships in dist/native/ and is the one that decodes.
  out.jpegDecoder = lines.find((l) => l.jpegDecoder !== undefined)?.jpegDecoder;
  const jpeg = await sharp(png).jpeg().toBuffer();
  const jres = await fetch(running.url + '/v1/models/demo/detect', { method: 'POST', body: jpeg, headers: { 'content-type': 'image/jpeg' } });
  out.jpegDetect = { status: jres.status, red: (await jres.json()).detections.filter((d) => d.label === 'red').length };
} finally {
  await running.close();
}
console.log(JSON.stringify(out));
process.exit(0);
`;

interface PackedFile { path: string }
let packed: string[] = [];

beforeAll(async () => {
  expect(existsSync(path.join(repoRoot, 'dist/index.js')), 'dist/index.js is missing: run `npm run build`').toBe(true);
  // --ignore-scripts: pack the dist/ this run built (prepack would rebuild it under the other tests).
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: repoRoot, env, maxBuffer: 16 << 20 });
  const [info] = JSON.parse(pack.stdout) as [{ filename: string; files: PackedFile[] }];
  packed = info.files.map((f) => f.path);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const t0 = performance.now();
  await run('npm', ['install', `./${info.filename}`, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env, timeout: 240_000 });
  console.log(`package test (node ${process.version}): npm install of the tarball took ${Math.round(performance.now() - t0)} ms`);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the npm tarball', () => {
  it('holds the entries, their declarations and the demo model, and no tests, bench or scripts', () => {
    for (const f of ['dist/index.js', 'dist/core.js', 'dist/types/index.d.ts', 'dist/types/core/index.d.ts', 'dist/cli.js', 'dist/engine-worker.js', 'dist/proto/grpc_service.proto', 'dist/proto/health.proto', 'dist/ui/page.html', 'dist/ui/page.js', 'dist/native/turbojpeg.node', 'dist/native/libturbojpeg.so.0', 'dist/native/LICENSE.libjpeg-turbo', 'models/demo.json', 'models/demo/demo.onnx', 'README.md']) {
      expect(packed, f).toContain(f);
    }
    const unwanted = packed.filter((f) => /^(test|bench|scripts|\.ci|infra|handlers|core)\/|\.test\.|(?<!\.d)\.ts$|tsbuildinfo|node_modules/.test(f));
    expect(unwanted).toEqual([]);
  });

  it('installs, and under plain node both entries import, core runs, and the demo model detects', async () => {
    writeFileSync(path.join(dir, 'consumer.mjs'), CONSUMER);
    const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: dir, env, timeout: 120_000 });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.core).toEqual(CORE_EXPECTED);
    // One shared chunk: an error thrown by the server side is `instanceof` core's DetectError.
    expect(out.sameErrorClass).toBe(true);
    expect(out.deepImport).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(out.loadFailure).toMatchObject({ isCoreDetectError: true, code: 'CONFIG_INVALID' });
    expect(out.loadFailure.message).toContain('missing.json');
    expect(out.detect.status).toBe(200);
    expect(out.page).toEqual({ status: 200, inlined: true });
    expect(out.jpegDecoder).toBe('turbojpeg');
    expect(out.jpegDetect).toEqual({ status: 200, red: 1 });
    const red = out.detect.body.detections.filter((d: { label: string }) => d.label === 'red');
    expect(red).toHaveLength(1);
    // The rectangle is at x 100..300, y 80..200 of the 640x480 image.
    const [x1, y1, x2, y2] = red[0].box as number[];
    for (const [got, want] of [[x1, 100], [y1, 80], [x2, 300], [y2, 200]] as const) expect(Math.abs(got - want)).toBeLessThan(12);
  });

  it('installs the detectfn CLI: detect prints the demo model\'s box, a bad flag exits 2 naming it', async () => {
    const cli = path.join(dir, 'node_modules/.bin/detectfn');
    expect(existsSync(path.join(dir, 'red.png')), 'the consumer test writes red.png').toBe(true);
    const { stdout } = await run(cli, ['detect', '--model', 'node_modules/detectfn/models/demo.json', 'red.png'], { cwd: dir, env, timeout: 60_000 });
    const [image] = JSON.parse(stdout).images as { detections: { label: string }[] }[];
    expect(image!.detections.map((d) => d.label)).toEqual(['red']);
    const usage = await run(cli, ['detect', '--bogus'], { cwd: dir, env }).catch((err: { code: number; stderr: string }) => err);
    expect(usage).toMatchObject({ code: 2 });
    expect((usage as { stderr: string }).stderr).toContain('bogus');
  });

  it('detectfn/core bundles for the neutral platform with no externals and runs with no Node globals', async () => {
    const result = await build({
      entryPoints: [path.join(installed, 'dist/core.js')],
      bundle: true, platform: 'neutral', format: 'iife', globalName: 'detectfnCore', write: false, metafile: true, logLevel: 'silent',
    });
    // Every input is the package's own code: no node:*, no native or other package.
    expect(Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/detectfn/dist/'))).toEqual([]);
    const context = vm.createContext({});
    expect(vm.runInContext('[typeof process, typeof Buffer, typeof require, typeof WebAssembly]', context)).toEqual(['undefined', 'undefined', 'undefined', 'object']);
    const code = `${result.outputFiles[0]!.text}\n${CORE_CHECK}\nJSON.stringify(coreCheck(detectfnCore))`;
    expect(JSON.parse(vm.runInContext(code, context) as string)).toEqual(CORE_EXPECTED);
  });

  it('declarations type-check for a consumer: detectfn/core without Node types, detectfn with them', async () => {
    writeFileSync(path.join(dir, 'core-consumer.ts'), `import { DetectError, nms, planLetterbox, type LetterboxPlan } from 'detectfn/core';
const plan: LetterboxPlan = planLetterbox({ width: 810, height: 1080 });
const kept: Int32Array = nms({ count: 0, boxes: new Float32Array(0), scores: new Float32Array(0), classIds: new Int32Array(0) }, { iou: 0.5, maxDet: 1, agnostic: false, maxNms: 1 });
// @ts-expect-error the types are real (not any): a string is not a Size
planLetterbox('640x640');
export const used = [plan.scale, kept.length, new DetectError('INVALID_ARGUMENT', 'x').code];
`);
    writeFileSync(path.join(dir, 'node-consumer.ts'), `import { DetectError, startServer, type RunningServer } from 'detectfn';
export async function serve(): Promise<RunningServer> { return startServer({ config: { PORT: 0 } }); }
// @ts-expect-error the types are real (not any): PORT is a number
export const bad = () => startServer({ config: { PORT: '80' } });
export const isError = (e: unknown) => e instanceof DetectError;
`);
    const base = { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true };
    writeFileSync(path.join(dir, 'tsconfig.core.json'), JSON.stringify({ compilerOptions: { ...base, lib: ['ES2022', 'DOM'], types: [] }, files: ['core-consumer.ts'] }));
    // The Node entry's types name node:http etc.: the consumer brings @types/node (here: the repo's).
    writeFileSync(path.join(dir, 'tsconfig.node.json'), JSON.stringify({ compilerOptions: { ...base, lib: ['ES2022'], types: ['node'], typeRoots: [path.join(repoRoot, 'node_modules/@types')], skipLibCheck: true }, files: ['node-consumer.ts'] }));
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    for (const project of ['tsconfig.core.json', 'tsconfig.node.json']) {
      const res = await run(process.execPath, [tsc, '-p', project], { cwd: dir, env }).catch((err: { stdout: string }) => ({ stdout: err.stdout, failed: true }));
      expect(res, `${project}: ${res.stdout}`).not.toHaveProperty('failed');
    }
    expect(readdirSync(path.join(installed, 'dist/types/core')).length).toBeGreaterThan(0);
  });
});
