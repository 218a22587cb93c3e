/**
 * The CLI with a classifier, as a user runs it: real child processes of the built dist/cli.js,
 * the real `colours` classifier and `demo` detector (both built by `npm run build`), real
 * JPEG files. `classify` answers classes; `detect` and `eval` refuse a classifier naming
 * `detectfn classify` (and `classify` refuses a detector naming `detectfn detect`); `batch`
 * over local directories writes the classifier's results as S3 events do.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/shared-data.js';

const CLI = path.join(repoRoot, 'dist/cli.js');
const COLOURS = path.join(repoRoot, 'models/examples/colours.json');
const DEMO = path.join(repoRoot, 'models/demo.json');
const SOLID = { blue: [40, 40, 200], green: [40, 180, 40], red: [200, 40, 40] } as const;
const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-classify-cli-'));
const images = path.join(dir, 'images');

interface Run { code: number | null; stdout: string; stderr: string }

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn', DETECTFN_CACHE_DIR: path.join(dir, 'cache') } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type Cls = { classId: number; label: string; score: number };

beforeAll(async () => {
  mkdirSync(images);
  for (const [colour, [r, g, b]] of Object.entries(SOLID)) {
    await sharp({ create: { width: 120, height: 90, channels: 3, background: { r, g, b } } }).jpeg({ quality: 95 }).toFile(path.join(images, `${colour}.jpg`));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detectfn classify', () => {
  it('prints the top-k classes of every image in a directory, best first, in detect\'s shape with classes', async () => {
    const r = await cli(['classify', '--model', COLOURS, '--top-k', '2', images]);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { images: { image: string; width: number; height: number; classes: Cls[] }[] };
    expect(got.images.map((i) => [i.image, i.width, i.height, i.classes[0]!.label])).toEqual([
      ['blue.jpg', 120, 90, 'blue'], ['green.jpg', 120, 90, 'green'], ['red.jpg', 120, 90, 'red'],
    ]);
    for (const im of got.images) {
      expect(Object.keys(im)).toEqual(['image', 'width', 'height', 'classes']);
      expect(im.classes).toHaveLength(2);
      expect(Object.keys(im.classes[0]!)).toEqual(['classId', 'label', 'score']);
      expect(im.classes[0]!.score).toBeGreaterThan(im.classes[1]!.score);
    }
  });

  it('writes --out, answers every class when the default 5 exceeds the 4 labels, and exits 1 naming an undecodable file', async () => {
    const out = path.join(dir, 'classes.json');
    const ok = await cli(['classify', '-m', COLOURS, path.join(images, 'red.jpg'), '--out', out]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('');
    const got = JSON.parse(readFileSync(out, 'utf8')) as { images: { classes: Cls[] }[] };
    expect(got.images[0]!.classes.map((c) => c.label)).toEqual(['red', expect.any(String), expect.any(String), expect.any(String)]);
    expect(new Set(got.images[0]!.classes.map((c) => c.label))).toEqual(new Set(['neutral', 'red', 'green', 'blue']));
    const bad = path.join(dir, 'bad.jpg');
    writeFileSync(bad, 'not an image');
    const r = await cli(['classify', '--model', COLOURS, bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^detectfn classify: .*bad\.jpg: .*/m);
  });

  it('refuses a bad --top-k as a usage error (exit 2) naming the flag', async () => {
    const r = await cli(['classify', '--model', COLOURS, '--top-k', '0', images]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Expected integer between 1 and 1000 for --top-k but received 0/);
  });
});

describe('the other task is refused naming the command to use (exit 1)', () => {
  it.each([
    ['detect on a classifier', ['detect', '--model', COLOURS, images], 'detectfn detect: WRONG_TASK: model colours is a classifier (task classify), not a detector: use detectfn classify'],
    ['eval on a classifier', ['eval', '--model', COLOURS, '--images', images, '--labels', images], 'detectfn eval: WRONG_TASK: model colours is a classifier (task classify), not a detector: use detectfn classify'],
    ['classify on a detector', ['classify', '--model', DEMO, images], 'detectfn classify: WRONG_TASK: model demo is a detector (task detect), not a classifier: use detectfn detect'],
  ])('%s', async (_, args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(message);
  });
});

describe('detectfn batch with a classifier', () => {
  it('writes each image\'s top --top-k classes as the S3-event result shape, and an error record for a bad file', async () => {
    const input = path.join(dir, 'batch-in');
    mkdirSync(input);
    for (const f of readdirSync(images)) writeFileSync(path.join(input, f), readFileSync(path.join(images, f)));
    writeFileSync(path.join(input, 'broken.jpg'), 'not an image');
    const out = path.join(dir, 'batch-out');
    const r = await cli(['batch', input, '--out', out, '--model', COLOURS, '--top-k', '1']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 4, processed: 3, failed: 1 });
    for (const colour of Object.keys(SOLID)) {
      const res = JSON.parse(readFileSync(path.join(out, `${colour}.jpg.json`), 'utf8')) as Record<string, unknown>;
      expect(Object.keys(res)).toEqual(['model', 'input', 'image', 'classes', 'timings', 'createdAt']);
      expect(res).toMatchObject({ model: { name: 'colours', version: '1' }, input: { key: `${colour}.jpg` }, image: { width: 120, height: 90 } });
      expect((res.classes as Cls[]).map((c) => c.label)).toEqual([colour]);
    }
    const error = JSON.parse(readFileSync(path.join(out, '_errors', 'broken.jpg.json'), 'utf8')) as Record<string, unknown>;
    expect(error).toMatchObject({ input: { key: 'broken.jpg' }, model: 'colours', code: 'UNSUPPORTED_MEDIA_TYPE', attempts: 1 });
  });
});
