/**
 * `detectfn inspect` as a user runs it (dist/cli.js in a real child process, real models): each
 * --compare reads a tensor a real Python pipeline saved (cv2 LetterBox + /255 + CHW, np.save;
 * test/helpers/inspect_reference.py) and gets its verdict, for the demo model and yolov8n;
 * --view writes exactly OpenCV's letterbox. Needs `npm run build`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { findCv2Python, runCv2Reference } from '../helpers/cv2-reference.js';
import { pythonReferenceTensors, VARIANTS, type Variant } from '../helpers/inspect-reference.js';
import { IMAGES, MODELS, repoRoot } from '../helpers/shared-data.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'detectfn-inspect-'));
const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');

function manifest(name: string, body: object): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, batching: { batchSizes: [1] }, ...body }));
  return file;
}

function inspect(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'inspect', ...args], { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** The verdict lines of each compared file, by variant. */
function verdicts(stdout: string, files: Record<Variant, string>): Record<Variant, string[]> {
  const blocks = stdout.split(/^compare /m).slice(1);
  return Object.fromEntries(VARIANTS.map((v) => {
    const block = blocks.find((b) => b.startsWith(files[v])) ?? '';
    return [v, [...block.matchAll(/^ {2}verdict: (.*)$/gm)].map((m) => m[1]!)];
  })) as Record<Variant, string[]>;
}

const EXPECTED: Record<Variant, RegExp> = {
  ok: /^match: max abs difference 0 /,
  fp16: /^match: /,
  no255: /^values span 0-1 where the reference spans 0-255: the reference has no \/255/,
  bgr: /^channels 0 and 2 are swapped \(BGR\/RGB\)$/,
  shift: /^shifted by 1 pixel \(letterbox padding\/rounding differs\).*dx=1, dy=0$/,
};

describe('detectfn inspect --compare: a verdict per Python variant', () => {
  it.each([
    ['demo', 320, () => manifest('demo', { source: { uri: DEMO_ONNX }, input: { shape: ['batch', 3, 320, 320] } })],
    ['yolov8n', 640, () => manifest('yolov8n', { source: { uri: MODELS.yolov8n() } })],
  ] as const)('%s (bus.jpg at %i)', async (_, size, model) => {
    const files = pythonReferenceTensors(IMAGES.bus(), size);
    const view = path.join(dir, `view-${size}.png`);
    const r = await inspect(['--model', model(), IMAGES.bus(), '--view', view, ...VARIANTS.flatMap((v) => ['--compare', files[v]])]);
    expect(r.stdout).toMatch(new RegExp(`^model \\w+ v1: input images float32 \\[1,3,${size},${size}\\]$`, 'm'));
    expect(r.stdout).toMatch(/^steps: decode .* -> resize cv2-linear 810x1080 -> .* -> pad 114 -> channels rgb -> scale 0.003922 -> layout NCHW -> dtype float32$/m);
    expect(r.stdout).toMatch(/^channel 2: min 0 max 1 mean [\d.]+ std [\d.]+$/m);
    const got = verdicts(r.stdout, files);
    for (const v of VARIANTS) expect(got[v], v).toEqual([expect.stringMatching(EXPECTED[v])]);
    // Three of five differ: a script can gate on the exit code.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/3 of 5 reference tensors differ/);
    const python = findCv2Python()!;
    const [cv2] = runCv2Reference(python, 'letterbox', [IMAGES.bus()], size);
    const png = await sharp(view).raw().toBuffer();
    expect(png.length).toBe(size * size * 3);
    expect(png.filter((x, i) => x !== cv2!.pixels[i]).length, 'view pixels that differ from OpenCV').toBe(0);
  });

  it('names a /255 missing from the manifest (scale 1, input.range claims 0-255)', async () => {
    const files = pythonReferenceTensors(IMAGES.bus(), 320);
    const model = manifest('demo-scale1', { source: { uri: DEMO_ONNX }, input: { shape: ['batch', 3, 320, 320], range: [0, 255] }, preprocess: { scale: 1 } });
    const r = await inspect(['--model', model, IMAGES.bus(), '--compare', files.ok]);
    expect(r.stdout).toMatch(/^channel 0: min 0 max 255 /m);
    expect(r.stdout).toMatch(/^ {2}verdict: values span 0-255 where the reference spans 0-1: a \/255 is missing$/m);
    expect(r.code).toBe(1);
  });

  it('the HRNet case: a classifier served without the /255 training applied gets "a /255 is missing"', async () => {
    // The training side: cv2.imread, RGB, /255, CHW, np.save (64x64 needs no resize or crop).
    const image = path.join(dir, 'red.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 30, b: 40 } } }).png().toFile(image);
    const reference = path.join(dir, 'red-train.npy');
    const python = findCv2Python()!;
    const script = 'import sys, cv2, numpy as np\nx = cv2.cvtColor(cv2.imread(sys.argv[1]), cv2.COLOR_BGR2RGB).astype(np.float32) / 255\nnp.save(sys.argv[2], x.transpose(2, 0, 1))';
    await new Promise<void>((resolve, reject) => execFile(python, ['-c', script, image, reference], (err) => (err ? reject(err) : resolve())));
    const right = await inspect(['--model', path.join(repoRoot, 'models/examples/colours.json'), image, '--compare', reference]);
    expect(right.stdout).toMatch(/^plan: crop 64x64 -> 64x64 .*window 64x64 at \(0, 0\)/m);
    expect(right.stdout).toMatch(/^ {2}verdict: match: /m);
    expect(right.code).toBe(0);
    const noscaleBody = { task: 'classify', source: { uri: path.join(repoRoot, 'models/classify/colours.onnx') }, preprocess: { scale: 1 }, output: { names: ['logits'] } };
    // Left to itself, the start-up range check refuses the manifest against the model's metadata...
    const refused = await inspect(['--model', manifest('colours-noscale', { ...noscaleBody, input: { shape: ['batch', 3, 64, 64] } }), image]);
    expect(refused.stderr).toMatch(/MODEL_MISMATCH: .*the preprocessed input spans 0 to 255 .*preprocess.scale 1.* says 0 to 1/);
    expect(refused.code).toBe(1);
    // ...so the HRNet deployment also claims 0-255 (input.range); the inspector still names the missing /255.
    const noscale = manifest('colours-noscale-claimed', { ...noscaleBody, input: { shape: ['batch', 3, 64, 64], range: [0, 255] } });
    const wrong = await inspect(['--model', noscale, image, '--compare', reference]);
    expect(wrong.stdout).toMatch(/^channel 0: min 200 max 200 /m);
    expect(wrong.stdout).toMatch(/^ {2}verdict: values span 30-200 where the reference spans 0.118-0.784: a \/255 is missing$/m);
    expect(wrong.code).toBe(1);
  });

  it('refuses a reference it cannot read before loading the model, and a missing image as usage', async () => {
    const bad = path.join(dir, 'f64.npy');
    writeFileSync(bad, Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([70, 0]), Buffer.from(`{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2, 2), }`.padEnd(69) + '\n')]));
    const r = await inspect(['--model', '/nonexistent.onnx', IMAGES.bus(), '--compare', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/INVALID_ARGUMENT: .npy: dtype <f8 is not supported/);
    const usage = await inspect(['--model', DEMO_ONNX]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/inspect takes exactly one image, got 0/);
  });
});
