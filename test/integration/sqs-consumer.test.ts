/**
 * The SQS consumer end to end: the real server (startServer with DETECTFN_SQS_QUEUE_URL), the
 * real demo model, real radosgw S3 for inputs, results and error records. SQS itself is a
 * STAND-IN (test/helpers/sqs-standin.ts): no real SQS runs here and the `sqslite` package only
 * speaks the query/XML protocol, not the AWS JSON 1.0 protocol of @aws-sdk/client-sqs v3.
 * The transient failure is a real refused connection: GETs of `flaky/` keys are sent to a
 * closed loopback port while the fault is on. The drain test holds GETs of `slow/` keys at a
 * gate until stop() has been called; the heartbeat test holds them past the visibility timeout.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import { createSqsClient } from '../../infra/events/sqs.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { capturingLogger } from '../helpers/capture-logger.js';
import { s3ClientFor } from '../helpers/radosgw.js';
import { repoRoot } from '../helpers/shared-data.js';
import { type DrawnShape, shapeImage } from '../helpers/shape-images.js';
import { type SqsStandin, startSqsStandin } from '../helpers/sqs-standin.js';

const DEMO = path.join(repoRoot, 'models/demo.json');
const conn = inject('radosgw');
const admin = s3ClientFor(conn);
const tag = Date.now().toString(36);
const [input, output] = [`sqs-in-${tag}`, `sqs-out-${tag}`];
const log = capturingLogger('debug');
const fault = { refuse: false, gate: undefined as Promise<void> | undefined };
let closedPort = 0;
let q: SqsStandin;
let server: RunningServer;
const sqs = () => createSqsClient({ queueUrl: q.queueUrl, region: conn.region, credentials: conn });

const SHAPES: DrawnShape[] = [{ kind: 'rect', label: 'red', box: [20, 30, 120, 150] }, { kind: 'circle', label: 'blue', box: [180, 160, 290, 290] }];
const put = async (key: string, body?: Uint8Array) => void (await admin.send(new PutObjectCommand({ Bucket: input, Key: key, Body: body ?? (await shapeImage(320, 320, SHAPES, 'png')) })));
const notification = (key: string) => ({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: input }, object: { key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/') } } }] });
const send = async (body: unknown) => (await sqs().send(new SendMessageCommand({ QueueUrl: q.queueUrl, MessageBody: typeof body === 'string' ? body : JSON.stringify(body) }))).MessageId!;
async function json(key: string): Promise<any> {
  try {
    return JSON.parse(await (await admin.send(new GetObjectCommand({ Bucket: output, Key: key }))).Body!.transformToString());
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}
async function waitFor<T>(fn: () => T | Promise<T>, what: string, ms = 90_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const state = (id: string) => q.messages.get(id)?.state;
const logged = (msg: string, id: string) => log.lines.some((l) => l.msg === msg && l.messageId === id);
function expectShapes(r: any): void {
  expect(r.detections.map((d: { label: string }) => d.label).sort()).toEqual(['blue', 'red']);
}

/** A GetObject of a flaky/ key goes to a closed port (ECONNREFUSED) while the fault is on. */
function faultyS3Client() {
  const client = s3ClientFor(conn);
  client.middlewareStack.add((next, context) => async (args: any) => {
    const key = String(args.input?.Key ?? '');
    if (context.commandName === 'GetObjectCommand' && key.startsWith('flaky/') && fault.refuse) args.request.port = closedPort;
    if (context.commandName === 'GetObjectCommand' && key.startsWith('slow/') && fault.gate) await fault.gate;
    return next(args);
  }, { step: 'finalizeRequest', name: 'testFaults' });
  return client;
}

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'models/demo/demo.onnx'))) await buildDemoModelFile(path.join(repoRoot, 'models/demo/demo.onnx'));
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  for (const Bucket of [input, output]) await admin.send(new CreateBucketCommand({ Bucket }));
  q = await startSqsStandin({ maxReceiveCount: 2 });
  const s3 = faultyS3Client();
  server = await startServer({
    env: {}, logger: log.logger,
    config: {
      HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [DEMO], DETECTFN_EVENTS_OUTPUT: `s3://${output}/results/`, DETECTFN_EVENTS_CONCURRENCY: 4,
      DETECTFN_SQS_QUEUE_URL: q.queueUrl, DETECTFN_SQS_WAIT_S: 1, DETECTFN_SQS_VISIBILITY_TIMEOUT_S: 3,
    },
    sqs: { client: sqs(), s3Client: () => s3 },
  });
  await server.ready;
});
afterAll(async () => {
  await server?.close();
  await q?.close();
});

describe('detectfn consuming S3 notifications from SQS', () => {
  it('deletes processed, permanently failed (with error record) and test-event messages; leaves unrecognised bodies for the DLQ', async () => {
    await put('good one.png');
    await put('sns/good.png');
    await put('corrupt.png', new TextEncoder().encode('not an image'));
    const ids = {
      good: await send(notification('good one.png')),
      sns: await send({ Type: 'Notification', Message: JSON.stringify(notification('sns/good.png')) }),
      corrupt: await send(notification('corrupt.png')),
      missing: await send(notification('missing.png')),
      test: await send({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: input }),
      junk: await send('not json'),
    };
    for (const name of ['good', 'sns', 'corrupt', 'missing', 'test'] as const) await waitFor(() => state(ids[name]) === 'deleted', `${name} deleted`);
    expectShapes(await json('results/good one.png.json'));
    expectShapes(await json('results/sns/good.png.json'));
    expect(await json('results/_errors/corrupt.png.json')).toMatchObject({ input: { bucket: input, key: 'corrupt.png' }, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await json('results/_errors/missing.png.json')).toMatchObject({ code: 'NOT_FOUND' });
    expect(logged('sqs: message done', ids.test)).toBe(true);
    // Not an object event: never deleted, redelivered until the redrive policy dead-letters it.
    await waitFor(() => state(ids.junk) === 'dead', 'junk dead-lettered');
    expect(q.messages.get(ids.junk)!.receiveCount).toBe(2);
    expect(q.calls.filter((c) => c.op.startsWith('DeleteMessage')).flatMap((c) => c.ids)).not.toContain(ids.junk);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/detectfn_s3_events_total\{outcome="processed"\} [2-9]/);
    expect(metrics).toMatch(/detectfn_s3_events_total\{outcome="failed"\} [2-9]/);
    expect(metrics).toMatch(/detectfn_s3_events_total\{outcome="ignored"\} [1-9]/);
  });

  it('leaves a transient failure (S3 refused) for redelivery and processes it when S3 is back', async () => {
    await put('flaky/x.png');
    fault.refuse = true;
    const id = await send(notification('flaky/x.png'));
    await waitFor(() => logged('sqs: message left for redelivery', id), 'first delivery handled');
    fault.refuse = false;
    expect(state(id)).toBe('queued');
    expect(await json('results/_errors/flaky/x.png.json')).toMatchObject({ code: 'STORE_ERROR', attempts: 4 });
    await waitFor(() => state(id) === 'deleted', 'redelivery processed');
    expect(q.messages.get(id)!.receiveCount).toBe(2);
    expectShapes(await json('results/flaky/x.png.json'));
  });

  it('stop() stops receiving and finishes the batch in hand (its results written, its messages deleted)', async () => {
    let open!: () => void;
    fault.gate = new Promise<void>((r) => (open = r));
    const keys = ['slow/a.png', 'slow/b.png', 'slow/c.png'];
    for (const k of keys) await put(k);
    const ids = await Promise.all(keys.map((k) => send(notification(k))));
    // The poller may take them in one batch or several; the one in hand waits at the gate. In
    // hand = the consumer has the response (the queue's in-flight mark comes earlier: a receive
    // still on the wire when stop() cuts it leaves its messages to the visibility timeout, as SQS does).
    await waitFor(() => server.queue!.busy() > 0, 'a batch in hand');
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(closed).toBe(false);
    open();
    await closing;
    const received = ids.filter((id) => q.messages.get(id)!.receiveCount > 0);
    expect(received.length).toBeGreaterThan(0);
    expect(received.map(state)).toEqual(received.map(() => 'deleted'));
    for (const [i, id] of ids.entries()) if (received.includes(id)) expectShapes(await json(`results/${keys[i]}.json`));
    expect(q.inFlight()).toEqual([]);
    expect(server.queue!.isRunning()).toBe(false);
    await waitFor(() => q.waiting() === 0, 'no long poll left');
  });
});

describe('detectfn sqs (CLI child process)', () => {
  it('consumes until SIGTERM, then exits 0 with nothing left in flight', async () => {
    const cq = await startSqsStandin();
    try {
      await put('cli/one.png');
      const client = createSqsClient({ queueUrl: cq.queueUrl, region: conn.region, credentials: conn });
      const first = (await client.send(new SendMessageCommand({ QueueUrl: cq.queueUrl, MessageBody: JSON.stringify(notification('cli/one.png')) }))).MessageId!;
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'handlers/cli/main.ts'), 'sqs', '--queue', cq.queueUrl, '--out', `s3://${output}/cli-results/`, '--model', DEMO, '--port', '0', '--host', '127.0.0.1'], {
        cwd: repoRoot,
        env: { ...process.env, AWS_ACCESS_KEY_ID: conn.accessKeyId, AWS_SECRET_ACCESS_KEY: conn.secretAccessKey, AWS_REGION: conn.region, AWS_ENDPOINT_URL_S3: conn.endpoint, DETECTFN_S3_FORCE_PATH_STYLE: 'true', DETECTFN_SQS_WAIT_S: '1', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      await waitFor(() => cq.messages.get(first)?.state === 'deleted', `first message deleted by the CLI; output:\n${out}`);
      expectShapes(await json('cli-results/cli/one.png.json'));
      child.kill('SIGTERM');
      expect(await exited, out).toBe(0);
      expect(out).toContain('sqs: stopped');
      expect(cq.inFlight()).toEqual([]);
    } finally {
      await cq.close();
    }
  });
});

describe('a batch that outlives the visibility timeout', () => {
  it('is kept invisible by the heartbeat: a second poller never receives it, each object is processed once', async () => {
    const hq = await startSqsStandin();
    const hlog = capturingLogger();
    const s3 = faultyS3Client();
    // Two pollers: while one holds the batch, the other long-polls the same queue, as a
    // second replica would; without the heartbeat it receives the batch again after 2 s.
    const hs = await startServer({
      env: {}, logger: hlog.logger,
      config: {
        HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [DEMO], DETECTFN_EVENTS_OUTPUT: `s3://${output}/hb-results/`,
        DETECTFN_SQS_QUEUE_URL: hq.queueUrl, DETECTFN_SQS_WAIT_S: 1, DETECTFN_SQS_VISIBILITY_TIMEOUT_S: 2, DETECTFN_SQS_POLLERS: 2,
      },
      sqs: { client: createSqsClient({ queueUrl: hq.queueUrl, region: conn.region, credentials: conn }), s3Client: () => s3 },
    });
    try {
      await hs.ready;
      const keys = ['slow/hb-a.png', 'slow/hb-b.png'];
      for (const k of keys) await put(k);
      let open!: () => void;
      fault.gate = new Promise<void>((r) => (open = r));
      const client = createSqsClient({ queueUrl: hq.queueUrl, region: conn.region, credentials: conn });
      const body = { Records: keys.map((k) => notification(k).Records[0]) };
      const id = (await client.send(new SendMessageCommand({ QueueUrl: hq.queueUrl, MessageBody: JSON.stringify(body) }))).MessageId!;
      await waitFor(() => hq.messages.get(id)!.receiveCount > 0, 'the batch received');
      // Hold the batch for 2.5 visibility timeouts.
      await new Promise((r) => setTimeout(r, 5000));
      open();
      await waitFor(() => hq.messages.get(id)!.state === 'deleted', 'the message deleted');
      expect(hq.messages.get(id)!.receiveCount).toBe(1);
      expect(hq.calls.filter((c) => c.op === 'ReceiveMessage' && c.ids.includes(id))).toHaveLength(1);
      expect(hq.calls.filter((c) => c.op === 'ChangeMessageVisibilityBatch').length).toBeGreaterThanOrEqual(3);
      for (const k of keys) {
        expect(hlog.lines.filter((l) => l.msg === 'event: object processed' && l.key === k)).toHaveLength(1);
        expectShapes(await json(`hb-results/${k}.json`));
      }
      expect(hlog.lines.filter((l) => l.messageId === id && String(l.msg).startsWith('sqs: message'))).toHaveLength(1);
    } finally {
      await hs.close();
      await hq.close();
    }
  });
});
