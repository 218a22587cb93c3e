/**
 * @module test/e2e/emulation/platform-runs
 * Step 9: what ships is what was tested. Each platform manifest's container (KEDA Deployment,
 * Cloud Run Service, KServe InferenceService, the Lambda Dockerfile's CMD; read by
 * infra/deploy/platform-manifests.ts) runs in the image this emulation built, with its exact
 * command, args and env. Only what the platform itself would supply is the test's: the
 * volumes (the `detectfn-manifests` ConfigMap holds infra/deploy/manifests/yolov8n-gpu.json, as
 * kserve/inferenceservice.yaml's kubectl line makes it; Cloud Run's bucket volume holds that
 * manifest with `"uri": "./yolov8n.onnx"` and the weights, as service.yaml describes), the AWS
 * credentials (IRSA / the `detectfn-s3` secret: radosgw's here), and the cloud endpoints (S3 ->
 * radosgw, the SQS queue URL -> the SQS stand-in). Servers must answer their probe path 200; the
 * KEDA consumer must take an S3 notification from the queue, write its result object and delete
 * the message. Lambda has no runtime here: a few lines stand in for its Node runtime interface
 * (load `<task root>/<module>.js`, call the export, as Lambda resolves "dist/lambda.handler").
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { type PlatformLaunch, readPlatformLaunches } from '../../helpers/platform-manifests.js';
import { compareDetections, type RefDetection } from '../../helpers/reference-detections.js';
import { repoRoot } from '../../helpers/shared-data.js';
import { startSqsStandin } from '../../helpers/sqs-standin.js';
import type { Cleanup } from './cleanup.js';
import { SERVICE_PORT, startFunctionContainer } from './function-container.js';
import { BUCKETS, putImage, readJson, s3PutEvent } from './s3-fixture.js';
import { forwardTcp } from './tcp-forward.js';

export interface PlatformStage {
  readonly image: string;
  readonly network: StartedNetwork;
  /** The network's gateway: where relays to host services listen. */
  readonly gateway: string;
  readonly labels: Record<string, string>;
  readonly work: string;
  /** radosgw as the containers reach it, and a host-side client. */
  readonly s3: { readonly endpoint: string; readonly region: string; readonly accessKeyId: string; readonly secretAccessKey: string; readonly client: S3Client };
  readonly modelPath: string;
  readonly imagePath: string;
  readonly reference: readonly RefDetection[];
  readonly cleanup: Cleanup;
  readonly log: (line: string) => void;
}

export interface PlatformCheck {
  readonly platform: PlatformLaunch['platform'];
  readonly file: string;
  /** What ran, in words ("node dist/cli.js sqs", "image CMD", "handler dist/lambda.handler"). */
  readonly ran: string;
  /** Container create -> ready; undefined when it never got there. */
  readonly readyMs?: number;
  /** Why it did not start or failed its check, with the service's last log lines. */
  readonly failure?: string;
  /** KEDA only: the message sent to the queue stand-in and what became of it. */
  readonly queue?: { readonly resultKey: string; readonly deleted: boolean; readonly mismatches: string[] };
}

const GPU_MANIFEST = 'infra/deploy/manifests/yolov8n-gpu.json';
/** What the volumes hold, by ConfigMap name or bucket (see the module comment). */
const VOLUME_FILES: Record<string, (dir: string, stage: PlatformStage, manifest: Record<string, any>) => Promise<void>> = {
  'detectfn-manifests': (dir, _s, m) => writeFile(path.join(dir, 'yolov8n.json'), JSON.stringify(m), { mode: 0o644 }),
  'detectfn-models': async (dir, s, m) => {
    await writeFile(path.join(dir, 'yolov8n.json'), JSON.stringify({ ...m, source: { uri: './yolov8n.onnx' } }), { mode: 0o644 });
    await copyFile(s.modelPath, path.join(dir, 'yolov8n.onnx'));
  },
};

/**
 * Lambda's Node runtime, reduced to what matters here: resolve the handler, invoke it with an
 * HTTP event until /readyz answers 200 (exit 0) or the model failed (exit 1). It is a file, as
 * Lambda's own runtime is: `node -e` would hand its flags to the worker threads too.
 */
const LAMBDA_RUNTIME_STANDIN = `
const handler = process.argv[2];
const dot = handler.lastIndexOf('.');
const mod = await import(process.env.LAMBDA_TASK_ROOT + '/' + handler.slice(0, dot) + '.js');
const fn = mod[handler.slice(dot + 1)];
if (typeof fn !== 'function') { console.log('lambda stand-in: ' + handler + ' is not a function'); process.exit(1); }
const event = { version: '2.0', routeKey: '$default', rawPath: '/readyz', rawQueryString: '', headers: { host: 'lambda' }, isBase64Encoded: false,
  requestContext: { http: { method: 'GET', path: '/readyz', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'stand-in' }, requestId: 'r1', routeKey: '$default', stage: '$default', domainName: 'lambda', accountId: '0', apiId: 'x', time: '', timeEpoch: 0 } };
for (;;) {
  const res = await fn(event, { awsRequestId: 'r1', functionName: 'detectfn', getRemainingTimeInMillis: () => 60000 });
  console.log('lambda stand-in: /readyz ' + res.statusCode + (res.statusCode === 200 ? '' : ' ' + res.body));
  if (res.statusCode === 200) process.exit(0);
  if (/\\(failed/.test(res.body)) process.exit(1); // the model's state is 'failed': it will not get ready
  await new Promise((r) => setTimeout(r, 500));
}
`;
const LAMBDA_RUNTIME_DIR = '/opt/lambda-runtime';

function s3Location(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new Error(`expected s3://bucket/key, got ${uri}`);
  return { bucket: m[1]!, key: m[2]! };
}

async function ensureBucket(s3: S3Client, Bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket })).catch((err: { name?: string }) => {
    if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
  });
}

/** Runs every platform's launch in turn (one container at a time: the CPU is shared). */
export async function runPlatformLaunches(stage: PlatformStage): Promise<PlatformCheck[]> {
  const manifest = JSON.parse(await readFile(path.join(repoRoot, GPU_MANIFEST), 'utf8')) as Record<string, any>;
  const model = s3Location(manifest.source.uri);
  await ensureBucket(stage.s3.client, model.bucket);
  await stage.s3.client.send(new PutObjectCommand({ Bucket: model.bucket, Key: model.key, Body: await readFile(stage.modelPath) }));
  const out: PlatformCheck[] = [];
  for (const launch of readPlatformLaunches()) {
    out.push(await runOne(launch, stage, manifest));
    const last = out.at(-1)!;
    stage.log(`platform ${last.platform} (${last.ran}): ${last.failure ? `FAILED: ${last.failure.split('\n')[0]}` : `ready in ${Math.round(last.readyMs!)} ms`}`);
  }
  return out;
}

async function runOne(launch: PlatformLaunch, stage: PlatformStage, manifest: Record<string, any>): Promise<PlatformCheck> {
  const serviceLog: string[] = [];
  const ran = launch.handler ? `handler ${launch.handler}` : launch.command ? [...launch.command, ...(launch.args ?? [])].join(' ') : 'image CMD';
  const base = { platform: launch.platform, file: launch.file, ran };
  const fail = (why: string): PlatformCheck => ({ ...base, failure: `${why}\n${serviceLog.slice(-15).join('\n')}` });
  const mounts: { source: string; target: string }[] = [];
  for (const v of launch.volumes.filter((x) => x.kind !== 'emptyDir')) {
    const fill = VOLUME_FILES[v.source ?? ''];
    if (!fill) return fail(`no stand-in for volume ${v.source} at ${v.mountPath}`);
    const dir = path.join(stage.work, launch.platform, v.source!);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await fill(dir, stage, manifest);
    mounts.push({ source: dir, target: v.mountPath });
  }
  // The platform's credentials and endpoints (see the module comment); the manifest's env wins.
  const env: Record<string, string> = {
    AWS_REGION: stage.s3.region,
    AWS_ACCESS_KEY_ID: stage.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stage.s3.secretAccessKey,
    AWS_ENDPOINT_URL_S3: stage.s3.endpoint,
    ...(launch.platform === 'cloudrun' ? { PORT: String(SERVICE_PORT) } : {}), // Cloud Run sets PORT
    ...(launch.platform === 'lambda' ? { LAMBDA_TASK_ROOT: '/app' } : {}), // the CPU image's app folder
    ...launch.env,
  };
  const queue = launch.platform === 'keda-sqs' ? await queueStandin(launch, stage, env) : undefined;
  if (launch.handler) {
    const dir = path.join(stage.work, 'lambda-runtime');
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFile(path.join(dir, 'index.mjs'), LAMBDA_RUNTIME_STANDIN, { mode: 0o644 });
    mounts.push({ source: dir, target: LAMBDA_RUNTIME_DIR });
  }

  const t0 = performance.now();
  let container: StartedTestContainer;
  try {
    container = await startFunctionContainer({
      image: stage.image,
      network: stage.network,
      labels: stage.labels,
      env,
      mounts,
      onLog: (l) => serviceLog.push(l),
      ...(launch.handler
        ? { entrypoint: ['node', `${LAMBDA_RUNTIME_DIR}/index.mjs`], cmd: [launch.handler], wait: Wait.forLogMessage('lambda stand-in: /readyz 200') }
        : { ...(launch.command ? { entrypoint: launch.command } : {}), ...(launch.args ? { cmd: launch.args } : {}) }),
      ...(launch.ready ? { wait: Wait.forHttp(launch.ready.path, launch.ready.port).forStatusCode(200) } : {}),
      ...(launch.runAsUser !== undefined ? { user: String(launch.runAsUser) } : {}),
      readyTimeoutMs: 180_000,
    });
  } catch (err) {
    return fail(`did not start: ${(err as Error).message.split('\n')[0]}`);
  }
  const readyMs = performance.now() - t0;
  try {
    if (launch.platform === 'kserve') {
      const res = await fetch(`http://127.0.0.1:${container.getMappedPort(SERVICE_PORT)}/v2/health/ready`);
      if (res.status !== 200) return fail(`/v2/health/ready answered ${res.status}`);
    }
    return { ...base, readyMs, ...(queue ? { queue: await queue.check() } : {}) };
  } catch (err) {
    return fail((err as Error).message);
  } finally {
    await container.stop({ timeout: 15_000 }).catch(() => {});
  }
}

/** The SQS stand-in behind a relay on the network; the manifest's queue URL points at it. */
async function queueStandin(launch: PlatformLaunch, stage: PlatformStage, env: Record<string, string>) {
  const url = launch.env.DETECTFN_SQS_QUEUE_URL;
  const output = launch.env.DETECTFN_EVENTS_OUTPUT;
  if (!url || !output) throw new Error(`${launch.file}: expected DETECTFN_SQS_QUEUE_URL and DETECTFN_EVENTS_OUTPUT in its env`);
  const sqs = await startSqsStandin({ queueName: url.split('/').at(-1)! });
  stage.cleanup.add('sqs stand-in', () => sqs.close());
  const relay = await forwardTcp(stage.gateway, { host: '127.0.0.1', port: Number(new URL(sqs.queueUrl).port) });
  stage.cleanup.add('sqs relay', () => relay.close());
  env.DETECTFN_SQS_QUEUE_URL = `http://${stage.gateway}:${relay.port}${new URL(sqs.queueUrl).pathname}`;
  const results = s3Location(output);
  await ensureBucket(stage.s3.client, results.bucket);
  return {
    async check(): Promise<NonNullable<PlatformCheck['queue']>> {
      const key = 'keda/bus.jpg';
      const { eTag, size } = await putImage(stage.s3.client, key, stage.imagePath);
      const sent = await fetch(sqs.queueUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' },
        body: JSON.stringify({ QueueUrl: sqs.queueUrl, MessageBody: JSON.stringify(s3PutEvent(BUCKETS.images, key, size, eTag)) }),
      });
      const { MessageId } = (await sent.json()) as { MessageId: string };
      const resultKey = `${results.key}${key}.json`;
      const deadline = Date.now() + 60_000;
      let result: { detections?: RefDetection[] } | undefined;
      let deleted = false;
      while (Date.now() < deadline && !(result && deleted)) {
        result ??= (await readJson(stage.s3.client, results.bucket, resultKey)) as typeof result;
        deleted = sqs.messages.get(MessageId)?.state === 'deleted';
        await new Promise((r) => setTimeout(r, 250));
      }
      const mismatches = result ? compareDetections(result.detections ?? [], stage.reference) : [`no s3://${results.bucket}/${resultKey} within 60 s`];
      return { resultKey: `s3://${results.bucket}/${resultKey}`, deleted, mismatches };
    },
  };
}
