/**
 * @module bench/suites/soak
 * Does the service leak under steady load? The real server in this process (yolov8n, bus.jpg
 * as a raw JPEG body; its engine and decode workers are threads of this process, so they count
 * in its RSS), autocannon at 4 connections in a child process, first a warm-up, then the soak.
 * RSS is sampled every second during the soak; the figure is the least-squares slope in MB per
 * minute (target ~0, issue #9). Durations from the environment so it can be run briefly:
 * DETECTFN_SOAK_S (default 600, the 10 minutes; --quick 60) and DETECTFN_SOAK_WARMUP_S
 * (default 60; --quick 15). Progress every DETECTFN_SOAK_CHUNK_S (default 30) seconds.
 */
import { silentLogger } from '../../infra/config.js';
import { startServer } from '../../handlers/serve.js';
import { IMAGES, MODELS } from '../../test/helpers/shared-data.js';
import { type LoadResult, runLoad } from '../load/run-load.js';
import { type BenchSuite, summarize } from '../report.js';

const CONNECTIONS = 4;
/** Checked as `<=` this; the target is ~0. 0.5 MB/min is 5 MB over the default 10 min. */
const SLOPE_TARGET_MB_PER_MIN = 0.5;

/** Positive whole seconds from `name`, else `fallback`; a bad value stops the suite naming it. */
function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected a positive integer of seconds, got '${raw}'`);
  return v;
}

/** Least-squares slope of y over x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

const mb = (bytes: number) => bytes / 2 ** 20;

export const soakSuite: BenchSuite = {
  name: 'soak',
  async run(ctx) {
    const soakS = seconds('DETECTFN_SOAK_S', ctx.quick ? 60 : 600);
    const warmupS = seconds('DETECTFN_SOAK_WARMUP_S', ctx.quick ? 15 : 60);
    const chunkS = Math.min(seconds('DETECTFN_SOAK_CHUNK_S', 30), soakS);
    const server = await startServer({ env: {}, logger: silentLogger(), config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [MODELS.yolov8n()] } });
    try {
      await server.ready;
      const model = server.registry.names()[0]!;
      const post = { url: `${server.url}/v1/models/${model}/detect`, method: 'POST', headers: { 'content-type': 'image/jpeg' }, bodyFile: IMAGES.bus(), connections: CONNECTIONS } as const;
      ctx.progress(`warm-up: c=${CONNECTIONS} for ${warmupS} s`);
      const failed = (r: LoadResult) => r.non2xx + r.errors + r.timeouts;
      let lost = failed(await runLoad({ ...post, duration: warmupS }));

      const t0 = performance.now();
      const samples: [number, number][] = [];
      const sample = () => samples.push([(performance.now() - t0) / 60_000, mb(process.memoryUsage().rss)]);
      sample();
      const timer = setInterval(sample, 1000);
      let ok = 0;
      try {
        for (let done = 0; done < soakS; done += chunkS) {
          const r = await runLoad({ ...post, duration: Math.min(chunkS, soakS - done) });
          ok += r.ok;
          lost += failed(r);
          const now = samples.at(-1)!;
          ctx.progress(`soak ${Math.min(done + chunkS, soakS)}/${soakS} s: rss ${now[1].toFixed(0)} MB (start ${samples[0]![1].toFixed(0)}), slope so far ${slope(samples).toFixed(2)} MB/min, ${(r.ok / r.seconds).toFixed(1)} req/s, ${failed(r)} failed`);
        }
      } finally {
        clearInterval(timer);
      }
      sample();
      if (lost > 0) throw new Error(`soak: ${lost} requests failed (non-2xx, errors or timeouts) at c=${CONNECTIONS}`);
      const rss = samples.map(([, y]) => y);
      const note = `c=${CONNECTIONS} for ${soakS} s after ${warmupS} s warm-up, yolov8n + bus.jpg; rss ${rss[0]!.toFixed(0)} -> ${rss.at(-1)!.toFixed(0)} MB (max ${Math.max(...rss).toFixed(0)}), ${ok} requests, none failed`;
      return [
        summarize('soak.rss_slope_mb_per_min', 'MB/min', [slope(samples)], { target: { op: '<=', value: SLOPE_TARGET_MB_PER_MIN }, note }),
        summarize('soak.rss_mb', 'MB', rss, { note: 'server process RSS, sampled every second during the soak' }),
      ];
    } finally {
      await server.close();
    }
  },
};
