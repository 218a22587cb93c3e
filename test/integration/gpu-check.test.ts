/**
 * The first-GPU-run check as the GPU machine will get it: `npm run gpu-pack` here, then the
 * tree as the device tool sends it (tracked and untracked-not-ignored files, no node_modules,
 * no dist) plus .gpu-pack copied to a temp folder, and scripts/gpu-check.sh run there by bash
 * with PATH holding only `node`. Real yolov8n on the real CPU provider at batch 1/2/4/8; WebGPU
 * really tried (this machine has no GPU: the report carries ORT's error). compareBoxes and
 * tensorDiffs are also held to hand-made cases, so a comparison that always agrees would fail.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detection } from '../../core/index.js';
import { compareBoxes, tensorDiffs } from '../../scripts/gpu-check/compare.js';
import { PACK_DIR, PACK_LIMIT_BYTES, REPORT_NAME } from '../../scripts/gpu-check/layout.js';
import { repoRoot } from '../helpers/shared-data.js';

const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-gpu-check-test-'));
const tree = path.join(dir, 'tree');
const bin = path.join(dir, 'bin');
let packOutput = '';

interface Run { code: number; stdout: string; stderr: string }

/** scripts/gpu-check.sh in the copied tree; PATH is a folder holding only a `node` link (or `pathDir`). */
function gpuCheck(args: string[], out: string, pathDir = bin): Promise<Run> {
  mkdirSync(out, { recursive: true });
  return new Promise((resolve) => {
    execFile('/bin/bash', ['scripts/gpu-check.sh', ...args], { cwd: tree, env: { PATH: pathDir, OUT: out }, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const readReport = (out: string) => JSON.parse(readFileSync(path.join(out, REPORT_NAME), 'utf8'));

beforeAll(() => {
  // The pack script compresses node and onnxruntime once (cached in .cache/gpu-pack): minutes on a busy 2-core machine.
  // `npm run gpu-pack` = build + this script; the build is skipped here because rewriting dist/
  // while other test files spawn its bundles would race them (npm test has just built it).
  packOutput = execFileSync(path.join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/gpu-check/pack.ts'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 1 << 24 });
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) if (existsSync(path.join(repoRoot, f))) cpSync(path.join(repoRoot, f), path.join(tree, f));
  cpSync(path.join(repoRoot, PACK_DIR), path.join(tree, PACK_DIR), { recursive: true });
  mkdirSync(bin);
  symlinkSync(process.execPath, path.join(bin, 'node'));
}, 900_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run gpu-pack + scripts/gpu-check.sh on a tree without node_modules', () => {
  it('prints the pack size, stays under the limit and leaves node_modules and dist behind', () => {
    expect(packOutput).toMatch(/gpu-pack: \.gpu-pack\/ holds \d+ files, [\d.]+ MiB \(limit 60\.0 MiB\)/);
    const manifest = JSON.parse(readFileSync(path.join(tree, PACK_DIR, 'pack.json'), 'utf8'));
    expect(manifest.totalBytes).toBeLessThanOrEqual(PACK_LIMIT_BYTES);
    expect(Object.keys(manifest.files).filter((f) => f.startsWith('app/node_modules/')).every((f) => /^app\/node_modules\/(onnxruntime-(node|common)|piscina)\//.test(f))).toBe(true);
    expect(existsSync(path.join(tree, 'node_modules'))).toBe(false);
    expect(existsSync(path.join(tree, 'dist'))).toBe(false);
  });

  it('reports CPU at batch 1/2/4/8, real detections, and why WebGPU did not start', async () => {
    const out = path.join(dir, 'out-default');
    const run = await gpuCheck(['--iterations', '2'], out);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`report ${path.join(out, REPORT_NAME)}`);
    const report = readReport(out);
    expect(report.pack.withinLimit).toBe(true);
    expect(report.host).toHaveProperty('gpu');
    expect(report.pack.bytes).toBeLessThanOrEqual(PACK_LIMIT_BYTES);
    const [cpu] = report.providers;
    expect(cpu).toMatchObject({ requested: 'cpu', ok: true, providerUsed: 'cpu' });
    expect(cpu.sessionMs).toBeGreaterThan(0);
    expect(cpu.batches.map((b: { batch: number }) => b.batch)).toEqual([1, 2, 4, 8]);
    for (const b of cpu.batches) {
      expect(b.runs).toBe(2);
      expect(b.medianMs).toBeGreaterThan(0);
      expect(b.imagesPerS).toBeCloseTo((b.batch * 1000) / b.medianMs, 6);
    }
    // bus.jpg: a bus (class 5) and people (class 0); zidane.jpg: people.
    const [bus, zidane] = report.cpuDetections as { input: string; detections: Detection[] }[];
    expect(bus!.input).toBe('bus');
    expect(bus!.detections.some((d) => d.classId === 5 && d.score > 0.5)).toBe(true);
    expect(bus!.detections.filter((d) => d.classId === 0 && d.score > 0.5).length).toBeGreaterThanOrEqual(3);
    expect(zidane!.detections.filter((d) => d.classId === 0 && d.score > 0.5).length).toBeGreaterThanOrEqual(2);
    if (report.candidate.started) {
      // A machine where WebGPU runs (never CI): every batch size compared.
      expect(report.comparison.map((c: { batch: number }) => c.batch)).toEqual([1, 2, 4, 8]);
    } else {
      expect(report.candidate).toMatchObject({ provider: 'webgpu', started: false });
      expect(report.candidate.error).toMatch(/webgpu/i);
      expect(report.comparison.skipped).toBe('webgpu did not start');
      expect(report.verdict).toBe('webgpu unavailable: CPU figures only');
    }
  });

  it('exits 1 under --require-gpu when WebGPU cannot start', async () => {
    const out = path.join(dir, 'out-require');
    const run = await gpuCheck(['--require-gpu', '--batches', '1', '--iterations', '1'], out);
    const report = readReport(out);
    expect(run.code).toBe(report.candidate.started && report.verdict === 'webgpu agrees with cpu' ? 0 : 1);
    if (!report.candidate.started) expect(run.code).toBe(1);
  });

  it("runs the pack's own node where the machine has none (unpacked with xz, or python3's lzma)", async () => {
    const tools = path.join(dir, 'tools-no-node');
    mkdirSync(tools);
    for (const t of ['xz', 'python3', 'chmod', 'rm']) {
      const found = ['/usr/bin', '/bin'].map((d) => path.join(d, t)).find((p) => existsSync(p));
      if (found) symlinkSync(found, path.join(tools, t));
    }
    const out = path.join(dir, 'out-no-node');
    const run = await gpuCheck(['--batches', '1', '--iterations', '1'], out, tools);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`no node on PATH, using the pack's ${process.version}`);
    expect(readReport(out).host.node).toBe(process.version);
  });

  it('compares a candidate with CPU end to end (CPU against itself: identical tensors, same boxes)', async () => {
    const out = path.join(dir, 'out-cpu-cpu');
    const run = await gpuCheck(['--candidate', 'cpu', '--batches', '1,2', '--iterations', '1', '--require-gpu'], out);
    expect(run.code, run.stderr).toBe(0);
    const report = readReport(out);
    expect(report.verdict).toBe('cpu agrees with cpu');
    for (const c of report.comparison) {
      expect(c.sameBoxes).toBe(true);
      expect(c.tensors[0]).toMatchObject({ output: 'output0', maxAbsDiff: 0 });
      expect(c.tensors[0].maxAbsReference).toBeGreaterThan(100);
      expect(c.items[0].referenceCount).toBeGreaterThan(0);
    }
  });
});

describe('gpu-check comparison', () => {
  const det = (classId: number, box: [number, number, number, number], score = 0.9): Detection => ({ classId, box, score, label: '' });
  const ref = [det(5, [10, 200, 800, 750]), det(0, [50, 400, 250, 900])];

  it('matches boxes that moved a little and reports the score difference', () => {
    const c = compareBoxes(ref, [det(0, [51, 401, 250, 899], 0.88), det(5, [10, 201, 799, 750])]);
    expect(c).toMatchObject({ same: true, matched: 2, referenceCount: 2, candidateCount: 2 });
    expect(c.maxScoreDiff).toBeCloseTo(0.02, 6);
    expect(c.minIou).toBeGreaterThan(0.98);
  });

  it('fails a missing box, an extra box, another class and a shifted box', () => {
    expect(compareBoxes(ref, [ref[0]!]).same).toBe(false);
    expect(compareBoxes(ref, [...ref, det(2, [0, 0, 10, 10])]).same).toBe(false);
    expect(compareBoxes(ref, [ref[0]!, det(1, [50, 400, 250, 900])])).toMatchObject({ same: false, matched: 1 });
    expect(compareBoxes(ref, [ref[0]!, det(0, [90, 400, 290, 900])])).toMatchObject({ same: false, matched: 1 });
  });

  it('gives max and mean absolute difference per output', () => {
    const t = (v: number[]) => ({ output0: { dtype: 'float32' as const, dims: [v.length], data: new Float32Array(v) } });
    const [d] = tensorDiffs(t([1, -4, 2]), t([1.5, -4, 1]));
    expect(d).toMatchObject({ output: 'output0', maxAbsDiff: 1, maxAbsReference: 4 });
    expect(d!.meanAbsDiff).toBeCloseTo(0.5, 6);
    expect(() => tensorDiffs(t([1, 2]), t([1]))).toThrow(/candidate has 1 values, reference 2/);
  });
});
