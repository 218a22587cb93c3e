/**
 * End-to-end: the deployment emulated locally with real parts only (the same code as
 * `npm run emulate`): the CPU image built from infra/deploy/Dockerfile, a real Ceph radosgw
 * holding the model, its manifest and the incoming images, the function container started
 * read-only on its own Docker network (decoding on a worker thread), a real detect request and a
 * real S3 event; then every platform manifest's exact launch in the same image.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { docker } from './emulation/docker.js';
import { formatReport } from './emulation/format-report.js';
import { type EmulationReport, runEmulation } from './emulation/run-emulation.js';

describe('local deployment emulation', () => {
  let report: EmulationReport;

  beforeAll(async () => {
    report = await runEmulation({ log: (l) => console.error(`emulate: ${l}`) });
    console.error(formatReport(report));
  });

  it('builds the CPU image and serves from it once /readyz says ready', () => {
    expect(report.image.sizeBytes).toBeGreaterThan(0);
    expect(report.startToReadyMs).toBeGreaterThan(0);
  });

  it('detects on bus.jpg like the reference (same classes, boxes within 4 px, scores within 0.03)', () => {
    expect(report.detect.status).toBe(200);
    expect(report.detect.mismatches).toEqual([]);
  });

  it('decodes JPEG with the native libjpeg-turbo addon the image ships (dist/native), not the sharp fallback', () => {
    expect(report.jpegDecoder).toBe('turbojpeg');
  });

  it('writes the results of an S3 event into the output bucket', () => {
    expect(report.event.status, JSON.stringify(report.event.response)).toBe('processed');
    expect(report.event.mismatches).toEqual([]);
  });

  it('reports the cold start split into download, session and warmup', () => {
    for (const phase of ['download', 'session', 'warmup', 'total'] as const) expect(report.coldStart[phase], phase).toBeGreaterThan(0);
    expect(report.coldStart.total!).toBeGreaterThanOrEqual(report.coldStart.session!);
  });

  it("passes the image's own HEALTHCHECK (node fetch on /readyz)", () => {
    expect(report.health).toBe('healthy');
  });

  it.each(['keda-sqs', 'cloudrun', 'kserve', 'lambda'])("runs the %s manifest's exact command, args and env in the image until ready", (platform) => {
    const p = report.platforms.find((x) => x.platform === platform);
    expect(p, `no run for ${platform}`).toBeDefined();
    expect(p!.failure).toBeUndefined();
    expect(p!.readyMs).toBeGreaterThan(0);
  });

  it('KEDA: `detectfn sqs` in the image takes an S3 notification from the queue, writes its result and deletes the message', () => {
    const q = report.platforms.find((x) => x.platform === 'keda-sqs')?.queue;
    expect(q?.mismatches).toEqual([]);
    expect(q?.deleted).toBe(true);
  });

  it('leaves no container, network or daemon of its own behind', async () => {
    expect(report.cleanupFailures).toEqual([]);
    // Nothing of this run may remain: its labelled containers, its network, a dockerd it started.
    const daemonUp = await docker(['info', '--format', '{{.ServerVersion}}'], 10_000).then(() => true, () => false);
    if (report.dockerd.startedHere) expect(daemonUp).toBe(false);
    else {
      expect(await docker(['ps', '-aq', '--filter', `label=detectfn.emulation=${report.runId}`])).toBe('');
      expect(await docker(['network', 'ls', '-q', '--filter', `name=^${report.networkName}$`])).toBe('');
    }
  });
});
