/**
 * A classifier behind S3 events, on the real radosgw with the real `colours` classifier
 * (models/classify, built by `npm run build`): radosgw's own bucket notifications pushed to the
 * running server's webhook, an SQS-shaped delivery, a redelivery, and an undecodable object
 * whose error record must be the one a detector (the real `demo` model) writes for the same
 * bytes. Then dist/lambda.js in a real child process, invoked with S3 and SQS events as Lambda
 * would, and the server's SQS consumer (DETECTFN_SQS_QUEUE_URL) reading a queue: SQS itself is
 * a STAND-IN there (test/helpers/sqs-standin.ts; no real SQS runs here, see sqs-consumer.test.ts).
 * DETECTFN_EVENTS_TOP_K is set (2, or 1) so the results show it is honoured.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startServer } from '../../handlers/serve.js';
import { createSqsClient } from '../../infra/events/sqs.js';
import { buildColourModelFiles } from '../../models/colour-classifier.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { capturingLogger } from '../helpers/capture-logger.js';
import { type EventHarness, postEvent as post, s3PutEvent as s3Event, startEventHarness, waitFor } from '../helpers/event-harness.js';
import { s3ClientFor } from '../helpers/radosgw.js';
import { repoRoot } from '../helpers/shared-data.js';
import { startSqsStandin } from '../helpers/sqs-standin.js';

const COLOURS_ONNX = path.join(repoRoot, 'models/classify/colours.onnx');
const COLOURS = path.join(repoRoot, 'models/examples/colours.json');
const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
const DEMO = path.join(repoRoot, 'models/demo.json');
const SOLID = { red: [200, 40, 40], green: [40, 180, 40], blue: [40, 40, 200] } as const;
const CORRUPT = new TextEncoder().encode('not an image at all');
const conn = inject('radosgw');
let h: EventHarness, detector: EventHarness;
const log = capturingLogger();

const jpeg = ([r, g, b]: readonly number[], width = 120, height = 90) =>
  sharp({ create: { width, height, channels: 3, background: { r: r!, g: g!, b: b! } } }).jpeg({ quality: 95 }).toBuffer();

beforeAll(async () => {
  if (!existsSync(COLOURS_ONNX)) await buildColourModelFiles(path.dirname(COLOURS_ONNX));
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  h = await startEventHarness(conn, [COLOURS], log.logger, { config: { DETECTFN_EVENTS_TOP_K: 2 } });
  detector = await startEventHarness(conn, [DEMO], capturingLogger().logger);
});
afterAll(async () => {
  await h?.close();
  await detector?.close();
});

type Cls = { classId: number; label: string; score: number };
type Result = { model: { name: string; version: string }; input: { bucket: string; key: string; eTag: string }; image: { width: number; height: number }; classes: Cls[]; timings: Record<string, number>; createdAt: string };
const resultOf = async (harness: EventHarness, key: string) => JSON.parse((await harness.getText(harness.output, `results/${key}.json`)) ?? 'null') as Result | null;

/** The result object's whole shape: a classifier's answer is `classes`, top-k best first; no `detections`. */
function expectClassified(r: Result | null, colour: string, input: { bucket: string; key: string }): void {
  expect(r).not.toBeNull();
  expect(Object.keys(r!)).toEqual(['model', 'input', 'image', 'classes', 'timings', 'createdAt']);
  expect(r).toMatchObject({ model: { name: 'colours', version: '1' }, input, image: { width: 120, height: 90 } });
  expect(r!.classes).toHaveLength(2);
  expect(r!.classes[0]!.label, JSON.stringify(r!.classes)).toBe(colour);
  for (const c of r!.classes) expect(Object.keys(c).sort()).toEqual(['classId', 'label', 'score']);
  expect(r!.classes[0]!.score).toBeGreaterThan(r!.classes[1]!.score);
  expect(r!.classes[0]!.score + r!.classes[1]!.score).toBeLessThanOrEqual(1 + 1e-6);
  expect(Object.keys(r!.timings).sort()).toEqual(['decode', 'download', 'infer', 'postprocess', 'preprocess', 'queue', 'total']);
  expect(Date.parse(r!.createdAt)).not.toBeNaN();
}

describe('a classifier as the events model', () => {
  it('classifies solid red, green and blue images pushed by real radosgw bucket notifications', async () => {
    const bucket = await h.notifiedBucket();
    for (const [colour, rgb] of Object.entries(SOLID)) await h.admin.send(new PutObjectCommand({ Bucket: bucket, Key: `solid/${colour} one.jpg`, Body: await jpeg(rgb) }));
    for (const colour of Object.keys(SOLID)) {
      const key = `solid/${colour} one.jpg`;
      const r = await waitFor(() => resultOf(h, key), `result of ${key}`);
      expectClassified(r, colour, { bucket, key });
      const head = await h.admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(r.input.eTag).toBe(head.ETag!.replace(/"/g, ''));
    }
    const out = await h.admin.send(new HeadObjectCommand({ Bucket: h.output, Key: 'results/solid/red one.jpg.json' }));
    expect(out.Metadata).toMatchObject({ 'detectfn-model': 'colours', 'detectfn-model-version': '1' });
    expect(h.stats).toMatchObject({ detectCalls: 0 });
    expect(h.stats.classifyCalls).toBeGreaterThanOrEqual(3);
  });

  it('answers an SQS-shaped delivery with the top class per record, does no work for a redelivery, and counts both in /metrics', async () => {
    await h.put('sqs/blue.jpg', await jpeg(SOLID.blue));
    const sqs = { Records: [{ messageId: 'm-1', eventSource: 'aws:sqs', body: JSON.stringify(s3Event(['sqs/blue.jpg'], h.input)) }] };
    const first = await post(h, sqs);
    expect(first.status).toBe(200);
    expect(((await first.json()) as { records: unknown[] }).records).toEqual([
      { bucket: h.input, key: 'sqs/blue.jpg', messageId: 'm-1', status: 'processed', resultKey: 'results/sqs/blue.jpg.json', topClass: 'blue' },
    ]);
    expectClassified(await resultOf(h, 'sqs/blue.jpg'), 'blue', { bucket: h.input, key: 'sqs/blue.jpg' });
    const calls = h.stats.classifyCalls;
    const again = (await (await post(h, sqs)).json()) as { records: { status: string; reason?: string }[] };
    expect(again.records).toEqual([expect.objectContaining({ status: 'skipped', reason: 'already-done' })]);
    expect(h.stats.classifyCalls).toBe(calls);
    const metrics = await (await fetch(`${h.server.url}/metrics`)).text();
    expect(metrics).toMatch(/^detectfn_s3_events_total\{outcome="processed"\} [1-9]/m);
    expect(metrics).toMatch(/^detectfn_s3_events_total\{outcome="skipped"\} [1-9]/m);
    expect(metrics).toMatch(/^detectfn_batch_size_count\{model="colours",version="1"\} [1-9]/m);
    const processed = log.lines.find((l) => l.msg === 'event: object processed' && (l as { key?: string }).key === 'sqs/blue.jpg');
    expect(processed).toMatchObject({ topClass: 'blue' });
  });

  it('writes the same error record for an undecodable object as a detector does (207, nothing else lost)', async () => {
    const keys = ['bad/corrupt.jpg', 'bad/good red.jpg'];
    for (const harness of [h, detector]) {
      await harness.put(keys[0]!, CORRUPT);
      await harness.put(keys[1]!, await jpeg(SOLID.red));
    }
    const [asClassifier, asDetector] = await Promise.all([post(h, s3Event(keys, h.input)), post(detector, s3Event(keys, detector.input))]);
    expect([asClassifier.status, asDetector.status]).toEqual([207, 207]);
    const statuses = ((await asClassifier.json()) as { records: { key: string; status: string; error?: { code: string } }[] }).records.map((r) => [r.key, r.status, r.error?.code]);
    expect(statuses).toEqual([['bad/corrupt.jpg', 'failed', 'UNSUPPORTED_MEDIA_TYPE'], ['bad/good red.jpg', 'processed', undefined]]);
    expectClassified(await resultOf(h, 'bad/good red.jpg'), 'red', { bucket: h.input, key: 'bad/good red.jpg' });
    const record = async (harness: EventHarness) => JSON.parse((await harness.getText(harness.output, 'results/_errors/bad/corrupt.jpg.json'))!) as Record<string, unknown>;
    const [mine, theirs] = [await record(h), await record(detector)];
    // Only what names the run differs: the bucket, the model and the time.
    const comparable = (r: Record<string, unknown>) => ({ ...r, input: { ...(r.input as object), bucket: 'B' }, model: 'M', failedAt: 'T' });
    expect(comparable(mine)).toEqual(comparable(theirs));
    expect(mine).toMatchObject({ input: { bucket: h.input, key: 'bad/corrupt.jpg' }, model: 'colours', code: 'UNSUPPORTED_MEDIA_TYPE', attempts: 1 });
    expect(await h.getText(h.output, 'results/bad/corrupt.jpg.json')).toBeUndefined();
  });
});

// What the child runs: import the bundle (Lambda init), then invoke with each event in EVENTS; prints the answers.
const INVOKE = `
const { handler } = await import(process.env.LAMBDA_BUNDLE);
const out = [];
for (const event of JSON.parse(process.env.EVENTS)) {
  try { out.push({ ok: await handler(event) }); } catch (err) { out.push({ error: err.message }); }
}
process.stdout.write('RESULT ' + JSON.stringify(out) + '\\n');
process.exit(0);
`;

describe('dist/lambda.js with a classifier', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-lambda-classify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('classifies S3- and SQS-event objects into the output bucket; a bad object throws (S3) or is a batchItemFailure (SQS)', async () => {
    const bucket = `${h.input}-lambda`;
    await h.admin.send(new CreateBucketCommand({ Bucket: bucket }));
    const put = async (Key: string, Body: Uint8Array) => void (await h.admin.send(new PutObjectCommand({ Bucket: bucket, Key, Body })));
    await put('green.jpg', await jpeg(SOLID.green));
    await put('red.jpg', await jpeg(SOLID.red));
    await put('corrupt.jpg', CORRUPT);
    const sqsMessage = (messageId: string, key: string) => ({ messageId, eventSource: 'aws:sqs', body: JSON.stringify(s3Event([key], bucket)) });
    const events = [s3Event(['green.jpg'], bucket), { Records: [sqsMessage('m-red', 'red.jpg'), sqsMessage('m-bad', 'corrupt.jpg')] }, s3Event(['corrupt.jpg'], bucket)];
    const script = path.join(dir, 'invoke.mjs');
    writeFileSync(script, INVOKE);
    const child = spawn(process.execPath, [script], {
      cwd: repoRoot,
      env: {
        ...process.env, LOG_LEVEL: 'warn', DETECTFN_CACHE_DIR: mkdtempSync(path.join(dir, 'cache-')), LAMBDA_BUNDLE: path.join(repoRoot, 'dist/lambda.js'),
        DETECTFN_MODELS: COLOURS, DETECTFN_EVENTS_OUTPUT: `s3://${h.output}/lambda/`, DETECTFN_EVENTS_BUCKETS: bucket, DETECTFN_EVENTS_TOP_K: '1',
        AWS_ACCESS_KEY_ID: conn.accessKeyId, AWS_SECRET_ACCESS_KEY: conn.secretAccessKey, AWS_REGION: conn.region,
        AWS_ENDPOINT_URL_S3: conn.endpoint, DETECTFN_S3_FORCE_PATH_STYLE: 'true', EVENTS: JSON.stringify(events),
      },
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    const line = /^RESULT (.*)$/m.exec(stdout);
    expect(line, stdout + stderr).not.toBeNull();
    const [s3, sqs, bad] = JSON.parse(line![1]!) as { ok?: { counts?: object; records?: object[]; batchItemFailures?: object[] }; error?: string }[];
    expect(s3!.ok).toMatchObject({ counts: { processed: 1, failed: 0 }, records: [{ key: 'green.jpg', status: 'processed', topClass: 'green' }] });
    expect(sqs!.ok).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] });
    expect(bad!.error).toBe(`1 of 1 object(s) failed: s3://${bucket}/corrupt.jpg (UNSUPPORTED_MEDIA_TYPE)`);
    for (const [key, colour] of [['green.jpg', 'green'], ['red.jpg', 'red']] as const) {
      const r = JSON.parse((await h.getText(h.output, `lambda/${key}.json`))!) as Result;
      expect(r).toMatchObject({ model: { name: 'colours' }, input: { bucket, key } });
      expect(r.classes.map((c) => c.label)).toEqual([colour]);
    }
    expect(JSON.parse((await h.getText(h.output, 'lambda/_errors/corrupt.jpg.json'))!)).toMatchObject({ model: 'colours', code: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});

describe('the SQS consumer with a classifier', () => {
  it('classifies a queued notification\'s object, writes an error record for a corrupt one, and deletes both messages', async () => {
    const q = await startSqsStandin({ maxReceiveCount: 2 });
    const sqs = createSqsClient({ queueUrl: q.queueUrl, region: conn.region, credentials: conn });
    const server = await startServer({
      env: {}, logger: capturingLogger().logger,
      config: {
        HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [COLOURS], DETECTFN_EVENTS_OUTPUT: `s3://${h.output}/sqs-consumer/`, DETECTFN_EVENTS_TOP_K: 3,
        DETECTFN_SQS_QUEUE_URL: q.queueUrl, DETECTFN_SQS_WAIT_S: 1, DETECTFN_SQS_VISIBILITY_TIMEOUT_S: 3,
      },
      sqs: { client: sqs, s3Client: () => s3ClientFor(conn) },
    });
    try {
      await server.ready;
      await h.put('queued/green.jpg', await jpeg(SOLID.green));
      await h.put('queued/corrupt.jpg', CORRUPT);
      const send = async (key: string) => (await sqs.send(new SendMessageCommand({ QueueUrl: q.queueUrl, MessageBody: JSON.stringify(s3Event([key], h.input)) }))).MessageId!;
      const ids = [await send('queued/green.jpg'), await send('queued/corrupt.jpg')];
      for (const id of ids) await waitFor(async () => q.messages.get(id)?.state === 'deleted', `message ${id} deleted`);
      const r = JSON.parse((await h.getText(h.output, 'sqs-consumer/queued/green.jpg.json'))!) as Result;
      expect(r).toMatchObject({ model: { name: 'colours', version: '1' }, input: { bucket: h.input, key: 'queued/green.jpg' } });
      expect(r.classes).toHaveLength(3);
      expect(r.classes[0]!.label).toBe('green');
      expect(JSON.parse((await h.getText(h.output, 'sqs-consumer/_errors/queued/corrupt.jpg.json'))!)).toMatchObject({ model: 'colours', code: 'UNSUPPORTED_MEDIA_TYPE' });
    } finally {
      await server.close();
      await q.close();
    }
  });
});
