/**
 * dist/lambda.js loads and warms its models during init (top-level await): a real child
 * process imports the bundle as the Lambda runtime does, then invokes `handler` with API
 * Gateway v2 events. The first invocation is served; an unloadable model fails the import.
 * Needs `npm run build` (dist/lambda.js, models/demo/demo.onnx).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rectanglesImage, RGB } from '../helpers/images.js';
import { repoRoot } from '../helpers/shared-data.js';

const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-lambda-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// What the child runs: import the bundle (init), then invoke in order; prints the responses as JSON.
const INVOKE = `
const { readFileSync } = await import('node:fs');
const { handler } = await import(process.env.LAMBDA_BUNDLE);
const png = readFileSync(process.env.IMAGE).toString('base64');
const event = (method, rawPath, body) => ({
  version: '2.0', routeKey: '$default', rawPath, rawQueryString: '', isBase64Encoded: body !== undefined, body,
  headers: { host: 'x.lambda-url.eu-west-1.on.aws', ...(body ? { 'content-type': 'image/png' } : {}) },
  requestContext: { http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '1.2.3.4', userAgent: 't' }, requestId: 'r', routeKey: '$default', stage: '$default', domainName: 'x', accountId: '1', apiId: 'a', time: '', timeEpoch: 0 },
});
const out = [];
out.push(await handler(event('GET', '/readyz')));
out.push(await handler(event('POST', '/v1/models/demo/detect', png)));
process.stdout.write('RESULT ' + JSON.stringify(out) + '\\n');
process.exit(0);
`;

interface Run { code: number | null; stdout: string; stderr: string }

async function coldStart(env: Record<string, string>): Promise<Run> {
  const image = path.join(dir, 'red.png');
  writeFileSync(image, await rectanglesImage(640, 480, [{ x1: 100, y1: 80, x2: 300, y2: 200, color: RGB.red }]));
  // A file, not --eval: worker threads inherit execArgv, and --input-type breaks the engine worker.
  const script = path.join(dir, 'invoke.mjs');
  writeFileSync(script, INVOKE);
  const child = spawn(process.execPath, [script], {
    cwd: repoRoot,
    env: {
      ...process.env, LOG_LEVEL: 'info', DETECTFN_CACHE_DIR: mkdtempSync(path.join(dir, 'cache-')),
      LAMBDA_BUNDLE: path.join(repoRoot, 'dist/lambda.js'), IMAGE: image, ...env,
    },
  });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe('dist/lambda.js', () => {
  it('serves the first invocation after a cold start: /readyz 200 and a detect, no 503 NOT_READY', async () => {
    const r = await coldStart({ DETECTFN_MODELS: path.join(repoRoot, 'models/demo.json') });
    expect(r.code, r.stderr).toBe(0);
    const result = /^RESULT (.*)$/m.exec(r.stdout);
    expect(result, r.stdout + r.stderr).not.toBeNull();
    const [ready, detect] = JSON.parse(result![1]!) as { statusCode: number; body: string }[];
    expect(ready!.statusCode, ready!.body).toBe(200);
    expect(JSON.parse(ready!.body)).toEqual({ status: 'ready', models: ['demo'] });
    expect(detect!.statusCode, detect!.body).toBe(200);
    expect((JSON.parse(detect!.body) as { detections: { label: string }[] }).detections.map((d) => d.label)).toEqual(['red']);
    // The model was warm before the import resolved: its 'model warm' line precedes any request.
    const msgs = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs.indexOf('model warm')).toBeGreaterThanOrEqual(0);
    expect(msgs.indexOf('request')).toBeGreaterThan(msgs.indexOf('model warm'));
  });

  it('fails the init when a model cannot load: the import rejects, the process exits non-zero naming the model', async () => {
    const r = await coldStart({ DETECTFN_MODELS: '/nonexistent.onnx' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toMatch(/^RESULT/m);
    expect(r.stderr).toMatch(/model nonexistent failed to load: model \/nonexistent\.onnx not found/);
    const fatal = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 60);
    expect(fatal.map((l) => l.msg)).toEqual(['model failed to load, Lambda init fails: model nonexistent failed to load: model /nonexistent.onnx not found']);
  });
});
