/**
 * `detectfn batch` as a real child process (node + tsx on handlers/cli/main.ts) against the real
 * radosgw and the real demo model: 50 objects, SIGINT once some results exist, a rerun with the
 * same command resumes; every object ends with exactly one result and none is computed twice.
 * Also a local directory in and out.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it, inject } from 'vitest';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { s3ClientFor } from '../helpers/radosgw.js';
import { repoRoot } from '../helpers/shared-data.js';
import { shapeImage } from '../helpers/shape-images.js';

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
const DEMO = path.join(repoRoot, 'models/demo.json');
const conn = inject('radosgw');
const admin = s3ClientFor(conn);

beforeAll(async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
});

interface Run { code: number | null; stdout: string; stderr: string }

function batch(args: string[], onStart?: (child: ReturnType<typeof spawn>) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'handlers/cli/main.ts'), 'batch', ...args, '--model', DEMO], {
    cwd: repoRoot,
    env: {
      ...process.env, AWS_ACCESS_KEY_ID: conn.accessKeyId, AWS_SECRET_ACCESS_KEY: conn.secretAccessKey, AWS_REGION: conn.region,
      AWS_ENDPOINT_URL_S3: conn.endpoint, DETECTFN_S3_FORCE_PATH_STYLE: 'true', LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  onStart?.(child);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function listResults(bucket: string, prefix: string) {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).filter((o) => !o.Key!.includes('_errors/'));
}

describe('detectfn batch over S3', () => {
  it('is interrupted by SIGINT without partial results and resumes without recomputing anything', async () => {
    const bucket = `batch-${Date.now().toString(36)}`;
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    const img = await shapeImage(1600, 1200, [{ kind: 'rect', label: 'red', box: [100, 100, 700, 600] }], 'png');
    const keys = Array.from({ length: 50 }, (_, i) => `in/${i % 5}/img ${i}+x.png`);
    await Promise.all(keys.map((Key) => admin.send(new PutObjectCommand({ Bucket: bucket, Key, Body: img }))));
    const args = [`s3://${bucket}/in/`, '--out', `s3://${bucket}/results/`, '--concurrency', '1'];

    let sent = false;
    const first = await batch(args, (child) => {
      const poll = setInterval(async () => {
        if (sent || (await listResults(bucket, 'results/')).length < 5) return;
        sent = true;
        clearInterval(poll);
        child.kill('SIGINT');
      }, 50);
      child.on('close', () => clearInterval(poll));
    });
    expect(sent, first.stderr).toBe(true);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toMatch(/interrupted/);
    const s1 = JSON.parse(first.stdout) as { processed: number; notStarted: number };
    expect(s1.processed).toBeGreaterThanOrEqual(5);
    expect(s1.notStarted).toBeGreaterThan(0);
    const afterFirst = await listResults(bucket, 'results/');
    expect(afterFirst).toHaveLength(s1.processed);
    const stamps = new Map(await Promise.all(afterFirst.map(async (o) => [o.Key!, (await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: o.Key! }))).ETag] as const)));

    const second = await batch(args);
    expect(second.code, second.stderr).toBe(0);
    const s2 = JSON.parse(second.stdout) as { processed: number; skipped: number; failed: number };
    expect(s2).toMatchObject({ processed: 50 - s1.processed, skipped: s1.processed, failed: 0 });
    const all = await listResults(bucket, 'results/');
    expect(all.map((o) => o.Key).sort()).toEqual(keys.map((k) => `results/${k}.json`).sort());
    for (const [key, etag] of stamps) expect((await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag).toBe(etag);
  });
});

describe('detectfn batch over local directories', () => {
  it('writes results beside a mirrored tree, error records for bad files, and skips done files on a rerun', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'detectfn-batch-'));
    await writeFile(path.join(dir, 'ok.png'), await shapeImage(320, 320, [{ kind: 'circle', label: 'blue', box: [40, 40, 200, 200] }], 'png'));
    await writeFile(path.join(dir, 'bad.png'), 'nope');
    const out = path.join(dir, 'out');
    const first = await batch([dir, '--out', out]);
    expect(first.code).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ total: 2, processed: 1, failed: 1 });
    const result = JSON.parse(await readFile(path.join(out, 'ok.png.json'), 'utf8'));
    expect(result.detections.map((d: { label: string }) => d.label)).toEqual(['blue']);
    expect(JSON.parse(await readFile(path.join(out, '_errors/bad.png.json'), 'utf8'))).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const second = await batch([dir, '--out', out]);
    expect(JSON.parse(second.stdout)).toMatchObject({ total: 2, processed: 0, skipped: 1, failed: 1 });
    expect((await readdir(out)).sort()).toEqual(['_errors', 'ok.png.json']);
  });
});
