/**
 * @module handlers/cli/batch-progress
 * Progress of `detectfn batch` on stderr: a bar with done/total, images/s and ETA on a TTY;
 * otherwise one plain line at most every `everyMs` (logs and CI keep a readable trail).
 */
import cliProgress from 'cli-progress';

export interface BatchProgress {
  tick(failed: boolean): void;
  stop(): void;
}

export function createBatchProgress(total: number, stream: NodeJS.WriteStream = process.stderr, everyMs = 2000): BatchProgress {
  const t0 = performance.now();
  let done = 0;
  let failed = 0;
  const rate = () => done / Math.max(1e-3, (performance.now() - t0) / 1000);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: 'batch [{bar}] {value}/{total} | {rate} images/s | {failed} failed | eta {eta_formatted}', hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', failed: 0 });
    return {
      tick(f) {
        done += 1;
        failed += f ? 1 : 0;
        bar.update(done, { rate: rate().toFixed(1), failed });
      },
      stop: () => bar.stop(),
    };
  }
  let last = t0;
  const line = () => {
    const eta = done > 0 ? Math.round((total - done) / rate()) : NaN;
    stream.write(`batch: ${done}/${total} done, ${failed} failed, ${rate().toFixed(1)} images/s, eta ${Number.isFinite(eta) ? `${eta}s` : '?'}\n`);
  };
  return {
    tick(f) {
      done += 1;
      failed += f ? 1 : 0;
      const now = performance.now();
      if (now - last >= everyMs || done === total) {
        last = now;
        line();
      }
    },
    stop: () => undefined,
  };
}
