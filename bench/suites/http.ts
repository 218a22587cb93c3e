/**
 * @module bench/suites/http
 * The HTTP function under load: the real server in this process (yolov8n, bus.jpg as a raw
 * JPEG body) and autocannon in a child process on loopback. Per repetition: c1 (sequential)
 * p50/p99, c16 p50/p99/rps, and /healthz p99 measured by a second, rate-capped child while
 * the c16 load runs. The engine baseline (bare batch-1 session.run and the best bare img/s over
 * batches 1/2/4/8) is measured here, with the engine suite's settings, before the server starts.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { silentLogger } from '../../infra/config.js';
import { startServer } from '../../handlers/serve.js';
import { IMAGES, MODELS } from '../../test/helpers/shared-data.js';
import { expectAllOk as check, type LoadResult, runLoad } from '../load/run-load.js';
import { type BenchResult, type BenchSuite, percentile, summarize } from '../report.js';
import { bareBaseline } from '../load/bare-baseline.js';

const median = (xs: readonly number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const p99 = (r: LoadResult) => percentile([...r.latencies].sort((a, b) => a - b), 99);

export const httpSuite: BenchSuite = {
  name: 'http',
  async run(ctx) {
    const reps = ctx.quick ? 1 : 3;
    const base = await bareBaseline(MODELS.yolov8n(), ctx.quick ? 4 : 8);
    ctx.progress(`engine baseline: b1 ${base.b1Ms.toFixed(1)} ms, best ${base.bestImgS.toFixed(1)} img/s at b${base.bestN}`);

    const server = await startServer({ env: {}, logger: silentLogger(), config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [MODELS.yolov8n()] } });
    try {
      await server.ready;
      const model = server.registry.names()[0]!;
      const post = { url: `${server.url}/v1/models/${model}/detect`, method: 'POST', headers: { 'content-type': 'image/jpeg' }, bodyFile: IMAGES.bus() } as const;
      check(await runLoad({ ...post, connections: 4, amount: 16 }), 'warm-up');
      const c1p50: number[] = [], c1p99: number[] = [], c16p50: number[] = [], c16p99: number[] = [], rps: number[] = [], hz: number[] = [], lag: number[] = [];
      for (let rep = 0; rep < reps; rep++) {
        const c1 = await runLoad({ ...post, connections: 1, amount: ctx.quick ? 15 : 40 });
        check(c1, 'c1');
        const duration = ctx.quick ? 5 : 10;
        // The server's own loop delay tells a blocked loop apart from a starved machine.
        const loop = monitorEventLoopDelay({ resolution: 5 });
        loop.enable();
        const [c16, health] = await Promise.all([
          runLoad({ ...post, connections: 16, duration }),
          runLoad({ url: `${server.url}/healthz`, connections: 1, rate: 50, duration: duration - 3, delayMs: 1500 }),
        ]);
        loop.disable();
        lag.push(loop.percentile(99) / 1e6);
        check(c16, 'c16');
        check(health, 'healthz');
        c1p50.push(median(c1.latencies)); c1p99.push(p99(c1));
        c16p50.push(median(c16.latencies)); c16p99.push(p99(c16));
        rps.push(c16.ok / c16.seconds); hz.push(p99(health));
        ctx.progress(`rep ${rep}: c1 p50 ${c1p50.at(-1)!.toFixed(1)} ms, c16 p50 ${c16p50.at(-1)!.toFixed(1)} ms, ${rps.at(-1)!.toFixed(1)} rps, healthz p99 ${hz.at(-1)!.toFixed(1)} ms (${health.ok} probes), server loop delay p99 ${lag.at(-1)!.toFixed(1)} ms`);
      }
      const baseNote = `bare b1 ${base.b1Ms.toFixed(1)} ms, best bare ${base.bestImgS.toFixed(1)} img/s (b${base.bestN}), measured by this suite`;
      const results: BenchResult[] = [
        summarize('http.c1.p50', 'ms', c1p50, { target: { op: '<=', value: 1.3 * base.b1Ms }, note: `target 1.3x bare b1; ${baseNote}` }),
        summarize('http.c1.p99', 'ms', c1p99, { note: 'median over repetitions of each run\'s p99' }),
        summarize('http.c16.p50', 'ms', c16p50),
        summarize('http.c16.p99', 'ms', c16p99),
        summarize('http.c16.rps', 'req/s', rps, { target: { op: '>=', value: 0.85 * base.bestImgS }, note: `target 0.85x best bare img/s; ratio ${(median(rps) / base.bestImgS).toFixed(2)}` }),
        summarize('http.healthz_p99_loaded', 'ms', hz, { target: { op: '<', value: 20 }, note: '/healthz at 50 req/s from a second client during c16 load' }),
        summarize('http.loop_delay_p99_loaded', 'ms', lag, { note: "server process's event-loop delay p99 during c16 load (monitorEventLoopDelay)" }),
      ];
      return results;
    } finally {
      await server.close();
    }
  },
};
