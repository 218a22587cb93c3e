/**
 * @module scripts/emulate
 * `npm run emulate`: the local deployment emulation (the same code as test/e2e/emulation.test.ts)
 * with its report on stdout and progress on stderr. Exit 0 only when the detections and the
 * S3 event result match the reference and every resource was cleaned up.
 */
import { formatReport } from '../test/e2e/emulation/format-report.js';
import { runEmulation } from '../test/e2e/emulation/run-emulation.js';

const t0 = performance.now();
try {
  const report = await runEmulation({ log: (l) => process.stderr.write(`emulate: ${l}\n`) });
  process.stdout.write(`${formatReport(report)}\n`);
  const ok = report.detect.mismatches.length === 0 && report.event.status === 'processed' && report.event.mismatches.length === 0 && report.cleanupFailures.length === 0
    && report.platforms.every((p) => !p.failure && (!p.queue || (p.queue.deleted && p.queue.mismatches.length === 0)));
  process.exitCode = ok ? 0 : 1;
} catch (err) {
  process.stderr.write(`emulate: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
process.stderr.write(`emulate: finished in ${Math.round(performance.now() - t0)} ms\n`);
