/**
 * @module handlers/cli/progress
 * A progress bar with images/s on stderr, only when stderr is a TTY: piped or redirected runs
 * (CI, `> out.json`) get clean output and no escape codes.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  tick(): void;
  stop(): void;
}

export function createProgress(total: number, label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { tick: () => undefined, stop: () => undefined };
  const t0 = performance.now();
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label} [{bar}] {value}/{total} | {rate} images/s | eta {eta_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let done = 0;
  bar.start(total, 0, { rate: '0.0' });
  return {
    tick() {
      done += 1;
      bar.update(done, { rate: (done / Math.max(1e-3, (performance.now() - t0) / 1000)).toFixed(1) });
    },
    stop: () => bar.stop(),
  };
}
