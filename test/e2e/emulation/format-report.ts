/**
 * @module test/e2e/emulation/format-report
 * The emulation report as the lines `npm run emulate` prints and the e2e test logs.
 */
import type { EmulationReport } from './run-emulation.js';

const ms = (v: number | undefined) => (v === undefined ? 'n/a' : `${Math.round(v)} ms`);

export function formatReport(r: EmulationReport): string {
  const c = r.coldStart;
  return [
    `image        ${r.image.tag} from ${r.image.base}: ${(r.image.sizeBytes / 1e6).toFixed(0)} MB, bundle ${ms(r.image.bundleMs)}, docker build ${ms(r.image.buildMs)}${r.image.madeBase ? ' (made the local base)' : ''}`,
    `dockerd      ${r.dockerd.startedHere ? `started here in ${ms(r.dockerd.startMs)}, stopped at the end` : 'already running (left alone)'}`,
    `s3           radosgw start ${ms(r.s3.radosgwStartMs)}, buckets + model (${(r.s3.modelBytes / 1e6).toFixed(1)} MB) + manifest ${ms(r.s3.seedMs)}`,
    `cold start   container start -> /readyz 200: ${ms(r.startToReadyMs)}; service: listen ${ms(c.listenMs)}, ready ${ms(c.readyMs)}`,
    `             download ${ms(c.download)}, session ${ms(c.session)}, warmup ${ms(c.warmup)}, model total ${ms(c.total)}`,
    `healthcheck  ${r.health}`,
    `detect       HTTP ${r.detect.status} in ${ms(r.detect.ms)}: ${r.detect.detections.length} detections, ${r.detect.mismatches.length === 0 ? 'match the reference' : `MISMATCH:\n  ${r.detect.mismatches.join('\n  ')}`}`,
    `s3 event     ${r.event.status} (HTTP ${r.event.httpStatus}) in ${ms(r.event.ms)}${r.event.resultKey ? ` -> ${r.event.resultKey}` : ''}${r.event.mismatches.length ? `:\n  ${r.event.mismatches.join('\n  ')}` : ''}`,
    ...r.platforms.map((p) => `platform     ${p.platform.padEnd(8)} ${p.file} (${p.ran}): ${p.failure ? `FAILED: ${p.failure}` : `ready in ${ms(p.readyMs)}`}${p.queue ? `; queue: ${p.queue.deleted ? 'message deleted' : 'message NOT deleted'}, ${p.queue.mismatches.length === 0 ? `${p.queue.resultKey} matches the reference` : p.queue.mismatches.join('; ')}` : ''}`),
    `total        ${ms(r.totalMs)}; cleanup ${r.cleanupFailures.length === 0 ? 'complete' : `FAILED: ${r.cleanupFailures.join('; ')}`}`,
  ].join('\n');
}
