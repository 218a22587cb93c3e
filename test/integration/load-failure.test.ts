/**
 * A model that cannot load ends the start, loudly, in every long-running entry point: real child
 * processes (dist/server.js, dist/cli.js serve and sqs), real HTTP probes, and a radosgw of this
 * file's own whose gateway is stopped and started again (fault injection) while the server
 * retries. Needs `npm run build` (dist/ and models/demo/demo.onnx).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rectanglesImage, RGB } from '../helpers/images.js';
import { s3ClientFor, startRadosgw, type Radosgw } from '../helpers/radosgw.js';
import { repoRoot } from '../helpers/shared-data.js';
import { spawnDist } from '../helpers/server-process.js';

const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-load-failure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type LogLine = Record<string, unknown> & { level: number; msg: string };

interface Child {
  readonly logs: LogLine[];
  /** Resolves with the base URL once the process logged 'listening'. */
  readonly url: Promise<string>;
  readonly exited: Promise<{ code: number | null; stderr: string }>;
  kill(): void;
}

/** Runs a bundle in dist/ with the given env and a fresh model cache. */
function runDist(script: string, args: string[], env: Record<string, string>): Child {
  const p = spawnDist(script, args, { DETECTFN_CACHE_DIR: mkdtempSync(path.join(dir, 'cache-')), ...env });
  const url = p.waitForLine((l) => l.msg === 'listening').then((l) => `http://127.0.0.1:${l.port as number}`);
  url.catch(() => undefined); // a process that exits before listening is what some tests expect
  return { logs: p.lines as LogLine[], url, exited: p.exited, kill: p.stop };
}

/** The process's exit, or a test failure if it is still running after `ms` (a hang, not a speed bound). */
async function exitWithin(c: Child, ms: number): Promise<{ code: number | null; stderr: string }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms; logs: ${JSON.stringify(c.logs.slice(-5))}`)), ms)));
  try {
    return await Promise.race([c.exited, hung]);
  } catch (err) {
    c.kill();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

const fatalLines = (c: Child) => c.logs.filter((l) => l.level === 60);

describe('an unloadable model ends the process with exit 1 and one fatal line naming it', () => {
  it.each([
    ['dist/server.js', 'server.js', [], { DETECTFN_MODELS: '/nonexistent.onnx' }],
    ['detectfn serve', 'cli.js', ['serve', '--model', '/nonexistent.onnx', '--port', '0'], {}],
    ['detectfn sqs', 'cli.js', ['sqs', '--queue', 'http://127.0.0.1:9/000000000000/in', '--out', path.join(dir, 'sqs-out'), '--model', '/nonexistent.onnx', '--port', '0'], {}],
  ] as const)('%s', async (_, script, args, env) => {
    const c = runDist(script, [...args], env);
    const { code } = await exitWithin(c, 60_000);
    expect(code).toBe(1);
    const fatal = fatalLines(c);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe('model failed to load, exiting: model nonexistent failed to load: model /nonexistent.onnx not found');
    expect(fatal[0]!.models).toEqual([{ name: 'nonexistent', version: '1', state: 'failed', reason: 'model nonexistent failed to load: model /nonexistent.onnx not found' }]);
  });
});

describe('a model on an S3 server that is down', () => {
  let rgw: Radosgw;
  let manifest: string;
  let s3Env: Record<string, string>;
  beforeAll(async () => {
    rgw = await startRadosgw();
    const s3 = s3ClientFor(rgw);
    await s3.send(new CreateBucketCommand({ Bucket: 'models' }));
    await s3.send(new PutObjectCommand({ Bucket: 'models', Key: 'demo/demo.onnx', Body: readFileSync(path.join(repoRoot, 'models/demo/demo.onnx')) }));
    const demo = JSON.parse(readFileSync(path.join(repoRoot, 'models/demo.json'), 'utf8')) as Record<string, unknown>;
    manifest = path.join(dir, 'demo-s3.json');
    writeFileSync(manifest, JSON.stringify({ ...demo, source: { uri: 's3://models/demo/demo.onnx' }, batching: { batchSizes: [1] } }));
    s3Env = {
      DETECTFN_MODELS: manifest, AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_REGION: rgw.region,
      AWS_ENDPOINT_URL_S3: rgw.endpoint, DETECTFN_S3_FORCE_PATH_STYLE: 'true',
    };
  });
  afterAll(async () => {
    await rgw?.startGateway();
    await rgw?.stop();
  });

  /** Polls /readyz until `until` accepts an answer; returns every 503 message seen (also kept in `seen`). */
  async function pollReady(url: string, until: (status: number, message: string) => boolean, c: Child, seen: string[] = []): Promise<string[]> {
    for (;;) {
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      if (res === undefined) throw new Error(`/readyz stopped answering; logs: ${JSON.stringify(c.logs.slice(-5))}`);
      const body = (await res.json()) as { error?: { message: string } };
      if (res.status === 503) seen.push(body.error!.message);
      if (until(res.status, body.error?.message ?? '')) return seen;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('shows the retries in /readyz, then becomes ready and serves once the gateway is back', async () => {
    await rgw.stopGateway();
    // 20 tries with waits of 1.5-3 s each (about 30-55 s in all): time enough to restart the
    // gateway even on a loaded 2-core CI machine.
    const c = runDist('server.js', [], { ...s3Env, DETECTFN_LOAD_ATTEMPTS: '20', DETECTFN_LOAD_RETRY_MS: '3000', DETECTFN_LOAD_RETRY_MAX_MS: '3000' });
    try {
      const url = await c.url;
      const retrying = await pollReady(url, (_, m) => /attempt 1\/20 failed/.test(m), c);
      expect(retrying.at(-1)).toMatch(/^models not ready: demo \(loading: attempt 1\/20 failed: model s3:\/\/models\/demo\/demo\.onnx: fetch failed \(transient\): .*ECONNREFUSED.*; next in \d+(\.\d)? (ms|s)\)$/);
      await rgw.startGateway();
      await pollReady(url, (status) => status === 200, c);
      const png = await rectanglesImage(640, 480, [{ x1: 100, y1: 80, x2: 300, y2: 200, color: RGB.red }]);
      const res = await fetch(`${url}/v1/models/demo/detect`, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
      expect(res.status).toBe(200);
      const out = (await res.json()) as { detections: { label: string }[] };
      expect(out.detections.map((d) => d.label)).toEqual(['red']);
      expect(c.logs.filter((l) => l.msg === 'transient error, retrying').length).toBeGreaterThanOrEqual(1);
      expect(fatalLines(c)).toEqual([]);
    } finally {
      c.kill();
      await c.exited;
    }
  });

  it('exits 1 after the bounded retries when the gateway stays down, with /readyz naming the retry until then', async () => {
    await rgw.stopGateway();
    // 4 tries, waits of up to 1.5 s each: at most 4.5 s of waiting.
    const c = runDist('server.js', [], { ...s3Env, DETECTFN_LOAD_ATTEMPTS: '4', DETECTFN_LOAD_RETRY_MS: '1500', DETECTFN_LOAD_RETRY_MAX_MS: '1500' });
    const url = await c.url;
    const seen: string[] = [];
    const polling = await pollReady(url, () => false, c, seen).then(() => 'ended', (err: Error) => err.message);
    const { code } = await exitWithin(c, 60_000);
    expect(code).toBe(1);
    expect(polling).toMatch(/^\/readyz stopped answering/); // only because the process went away
    expect(seen.some((m) => /^models not ready: demo \(loading: attempt [123]\/4 failed: .*ECONNREFUSED.*; next in /.test(m)), seen.join('\n')).toBe(true);
    const fatal = fatalLines(c);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toMatch(/^model failed to load, exiting: model demo failed to load after 4 attempts: model s3:\/\/models\/demo\/demo\.onnx: fetch failed \(transient\): .*ECONNREFUSED/);
    expect(fatal[0]!.models).toEqual([expect.objectContaining({ name: 'demo', state: 'failed' })]);
    expect(c.logs.filter((l) => l.msg === 'transient error, retrying').map((l) => l.attempt)).toEqual([1, 2, 3]);
  });

  it('an endpoint that accepts but never answers fails each attempt at the socket timeout instead of hanging', async () => {
    // A real TCP listener that never speaks HTTP: what a wedged gateway or proxy looks like.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const c = runDist('server.js', [], {
        ...s3Env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
        DETECTFN_S3_SOCKET_TIMEOUT_MS: '300', DETECTFN_LOAD_ATTEMPTS: '2', DETECTFN_LOAD_RETRY_MS: '100', DETECTFN_LOAD_RETRY_MAX_MS: '100',
      });
      const { code } = await exitWithin(c, 60_000);
      expect(code).toBe(1);
      expect(fatalLines(c)[0]!.msg).toMatch(/model demo failed to load after 2 attempts: .*fetch failed \(transient\)/);
    } finally {
      silent.close();
    }
  });
});
