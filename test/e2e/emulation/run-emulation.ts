/**
 * @module test/e2e/emulation/run-emulation
 * The whole local emulation of a deployment, shared by `npm run emulate` and
 * test/e2e/emulation.test.ts: CPU image -> real S3 (radosgw) with the model and its manifest ->
 * the function container on its own Docker network -> /readyz -> detect -> S3 event -> results
 * object -> cold-start report. It measures and collects; callers judge (the report carries the
 * mismatches). Every resource is undone on every exit path, failures included.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Network } from 'testcontainers';
import { startRadosgw, s3ClientFor } from '../../helpers/radosgw.js';
import { compareDetections, referenceFor, type RefDetection } from '../../helpers/reference-detections.js';
import { IMAGES, MODELS, repoRoot } from '../../helpers/shared-data.js';
import { createCleanup } from './cleanup.js';
import { coldStartFromMetrics, logField, readyLine, type ColdStartMs } from './cold-start.js';
import { docker, ensureDockerDaemon } from './docker.js';
import { startFunctionContainer, SERVICE_PORT } from './function-container.js';
import { buildCpuImage, type BuiltImage } from './image.js';
import { BUCKETS, manifest, seedBuckets } from './s3-fixture.js';
import { deliverEvent, type EventCheck } from './event-step.js';
import { forwardTcp } from './tcp-forward.js';
import { runPlatformLaunches, type PlatformCheck } from './platform-runs.js';

export interface EmulationOptions {
  /** Progress lines (stderr in the script). @default no output */
  readonly log?: (line: string) => void;
  /** @default detectfn:emulate */
  readonly imageTag?: string;
}

export interface EmulationReport {
  /** Label value `detectfn.emulation` on everything this run created. */
  readonly runId: string;
  readonly networkName: string;
  readonly dockerd: { readonly startedHere: boolean; readonly startMs: number };
  readonly image: BuiltImage;
  readonly s3: { readonly radosgwStartMs: number; readonly seedMs: number; readonly modelBytes: number };
  /** Container create -> /readyz 200, as the caller sees it. */
  readonly startToReadyMs: number;
  /** The service's own breakdown (/metrics) and its "ready" log line. */
  readonly coldStart: ColdStartMs & { readonly listenMs?: number; readonly readyMs?: number };
  /** Who decoded JPEGs in the container, from its start-up log line (infra/model/registry). */
  readonly jpegDecoder: unknown;
  readonly detect: { readonly status: number; readonly ms: number; readonly detections: RefDetection[]; readonly mismatches: string[] };
  readonly event: EventCheck;
  readonly health: string;
  /** Each platform manifest's exact launch, run in the same image (platform-runs.ts). */
  readonly platforms: PlatformCheck[];
  readonly totalMs: number;
  /** Undo steps that failed (should be empty). */
  readonly cleanupFailures: string[];
}

export async function runEmulation(opts: EmulationOptions = {}): Promise<EmulationReport> {
  const log = opts.log ?? (() => {});
  // No reaper (its image cannot be pulled everywhere; the cleanup stack does its job), and the
  // published ports are bound to 127.0.0.1, so that is where testcontainers must connect.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  const t0 = performance.now();
  const cleanup = createCleanup();
  const runId = randomBytes(4).toString('hex');
  const labels = { 'detectfn.emulation': runId };
  const serviceLog: string[] = [];
  try {
    const work = await mkdtemp(path.join(tmpdir(), 'detectfn-emulate-'));
    cleanup.add('work dir', () => rm(work, { recursive: true, force: true }));
    const daemon = await ensureDockerDaemon(path.join(work, 'dockerd.log'));
    cleanup.add('dockerd', () => daemon.stop());
    log(daemon.startedHere ? `started dockerd (pid ${daemon.pid}) in ${Math.round(daemon.startMs)} ms` : 'using the running docker daemon');
    // Belt and braces: whatever carries this run's label goes, even if a stop() above failed.
    cleanup.add('label sweep', async () => {
      const ids = await docker(['ps', '-aq', '--filter', `label=detectfn.emulation=${runId}`]);
      if (ids) await docker(['rm', '-f', '-v', ...ids.split('\n')]);
    });

    const image = await buildCpuImage(repoRoot, opts.imageTag ?? 'detectfn:emulate', log);

    const rgw = await startRadosgw();
    cleanup.add('radosgw', () => rgw.stop());
    const s3 = s3ClientFor(rgw);
    cleanup.add('s3 client', () => s3.destroy());
    const tSeed = performance.now();
    const { modelBytes } = await seedBuckets(s3, MODELS.yolov8n());
    const s3Report = { radosgwStartMs: rgw.startMs, seedMs: performance.now() - tSeed, modelBytes };
    log(`radosgw up in ${Math.round(rgw.startMs)} ms; uploaded the model (${modelBytes} bytes) and its manifest`);

    const network = await new Network().start();
    cleanup.add('docker network', () => network.stop());
    const gateway = await docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Gateway}}{{end}}', network.getName()]);
    const rgwUrl = new URL(rgw.endpoint);
    const relay = await forwardTcp(gateway, { host: rgwUrl.hostname, port: Number(rgwUrl.port) });
    cleanup.add('s3 relay', () => relay.close());

    const configDir = path.join(work, 'config');
    await rm(configDir, { recursive: true, force: true });
    await mkdir(configDir, { mode: 0o755 });
    await writeFile(path.join(configDir, 'yolov8n.json'), JSON.stringify(manifest(), null, 2), { mode: 0o644 });

    log(`starting ${image.tag} on network ${network.getName()} (S3 at ${gateway}:${relay.port})`);
    const tStart = performance.now();
    const container = await startFunctionContainer({
      image: image.tag,
      network,
      labels,
      mounts: [{ source: configDir, target: '/etc/detectfn' }],
      onLog: (l) => serviceLog.push(l),
      env: {
        LOG_LEVEL: 'info',
        PORT: String(SERVICE_PORT),
        DETECTFN_MODELS: '/etc/detectfn/yolov8n.json',
        // Decode on a worker thread: detect and the event below go through dist/decode-worker.js
        // in the image (a missing bundle once stopped start-up with this set).
        DETECTFN_DECODE_WORKERS: '1',
        AWS_ENDPOINT_URL: `http://${gateway}:${relay.port}`,
        AWS_REGION: rgw.region,
        AWS_ACCESS_KEY_ID: rgw.accessKeyId,
        AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
        DETECTFN_S3_FORCE_PATH_STYLE: 'true',
        DETECTFN_EVENTS_OUTPUT: `s3://${BUCKETS.results}/detections/`,
        DETECTFN_EVENTS_MODEL: 'yolov8n',
      },
    });
    cleanup.add('function container', () => container.stop({ timeout: 10_000 }));
    const startToReadyMs = performance.now() - tStart;
    const base = `http://127.0.0.1:${container.getMappedPort(SERVICE_PORT)}`;
    log(`ready after ${Math.round(startToReadyMs)} ms at ${base}`);

    const tDetect = performance.now();
    const res = await fetch(`${base}/v1/models/yolov8n/detect`, { method: 'POST', body: await readFile(IMAGES.bus()), headers: { 'content-type': 'image/jpeg' } });
    const detectMs = performance.now() - tDetect;
    const body = (await res.json()) as { detections?: RefDetection[] };
    const detections = body.detections ?? [];
    const ref = referenceFor('bus.jpg');
    const mismatches = res.ok ? compareDetections(detections, ref.detections) : [`HTTP ${res.status}: ${JSON.stringify(body)}`];
    log(`detect: HTTP ${res.status}, ${detections.length} detections, ${mismatches.length} mismatches, ${Math.round(detectMs)} ms`);

    const event = await deliverEvent({ base, s3, image: IMAGES.bus(), reference: ref.detections });
    log(`event: ${event.status}${event.resultKey ? ` -> s3://${BUCKETS.results}/${event.resultKey}` : ''}`);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const coldStart = { ...coldStartFromMetrics(metrics, 'yolov8n'), ...readyLine(serviceLog) };
    const health = await waitForHealth(container.getId());

    const platforms = await runPlatformLaunches({
      image: image.tag, network, gateway, labels, work, reference: ref.detections, cleanup, log,
      s3: { endpoint: `http://${gateway}:${relay.port}`, region: rgw.region, accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey, client: s3 },
      modelPath: MODELS.yolov8n(), imagePath: IMAGES.bus(),
    });
    const jpegDecoder = logField(serviceLog, 'jpegDecoder');
    const partial = { runId, networkName: network.getName(), dockerd: { startedHere: daemon.startedHere, startMs: daemon.startMs }, image, s3: s3Report, startToReadyMs, coldStart, jpegDecoder, health };
    const detect = { status: res.status, ms: detectMs, detections, mismatches };
    const cleanupFailures = await cleanup.run();
    return { ...partial, detect, event, platforms, totalMs: performance.now() - t0, cleanupFailures };
  } catch (err) {
    const failures = await cleanup.run();
    const tail = serviceLog.slice(-25).join('\n');
    throw new Error(`emulation failed: ${(err as Error).message}${tail ? `\n--- service log (last lines) ---\n${tail}` : ''}${failures.length ? `\n--- cleanup failures ---\n${failures.join('\n')}` : ''}`, { cause: err });
  }
}

/** The image's HEALTHCHECK (node fetch on /readyz) status, waiting up to `ms` for its first verdict. */
async function waitForHealth(id: string, ms = 40_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await docker(['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', id]);
    if (s !== 'starting' || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 500));
  }
}
