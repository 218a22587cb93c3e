/**
 * @module bench/suites/pipeline
 * yolov8n end to end on bus.jpg through ModelService.detect (decode + letterbox, batch
 * assembly, worker engine, postprocess) at batch 1, against a bare main-thread session.run with
 * the manifest's engine settings, interleaved per run. The decoder is switched between decode
 * workers (the default) and in-thread decoding on the same loaded model, so both see the same
 * engine and machine load. Then 8 concurrent callers keep detect busy while a 5 ms timer
 * measures the main loop's worst lag, for each decoder. (The main-thread normalisation the
 * service once had is compared with engine-side normalisation in bench/suites/engine.)
 */
import { readFileSync } from 'node:fs';
import { createSessionWithFallback } from '../../infra/engine/session.js';
import { createSharpDecoder, type SharpDecoder } from '../../infra/image/decoder.js';
import { silentLogger } from '../../infra/config.js';
import { loadModel } from '../../infra/model/load.js';
import { manifestFor, serveModel } from '../../infra/model/registry.js';
import { createModelStore } from '../../infra/store/store.js';
import { IMAGES, MODELS } from '../../test/helpers/shared-data.js';
import { type BenchResult, type BenchSuite, summarize } from '../report.js';
import { bareRuns } from './engine-load.js';

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export const pipelineSuite: BenchSuite = {
  name: 'pipeline',
  async run(ctx) {
    const runs = ctx.quick ? 5 : 20;
    const lagImages = ctx.quick ? 2 : 5;
    const bytes = new Uint8Array(readFileSync(IMAGES.bus()));
    const decoders: Record<'workers' | 'in_thread', SharpDecoder> = { workers: createSharpDecoder({ workers: 1 }), in_thread: createSharpDecoder({ workers: 0 }) };
    let current: SharpDecoder = decoders.workers;
    const decoder: SharpDecoder = { options: decoders.workers.options, jpeg: decoders.workers.jpeg, decode: (b, p) => current.decode(b, p), pixelReuse: () => current.pixelReuse(), close: async () => {} };
    const manifest = await manifestFor(MODELS.yolov8n());
    const store = createModelStore({ cacheDir: '/tmp/detectfn-bench-cache', logger: silentLogger() });
    const service = serveModel(await loadModel(manifest, { store, decoder, logger: silentLogger() }));
    type Which = keyof typeof decoders;
    const e = manifest.engine;
    const { session } = await createSessionWithFallback(MODELS.yolov8n(), ['cpu'], {
      intraOpThreads: e.intraOpThreads, interOpThreads: e.interOpThreads, graphOptimizationLevel: e.graphOptimizationLevel, enableMemArena: e.enableMemArena, allowSpinning: true,
    });
    const detect = async (which: Which) => {
      current = decoders[which];
      const t0 = performance.now();
      await service.detect(bytes);
      return performance.now() - t0;
    };
    const WHICH = ['workers', 'in_thread'] as const;
    for (const which of WHICH) await detect(which);
    const ms = { bare: [] as number[], workers: [] as number[], in_thread: [] as number[] };
    ctx.progress(`bare vs detect (decode workers, in-thread) x${runs}, interleaved`);
    for (let i = 0; i < runs; i++) {
      ms.bare.push(...(await bareRuns(session, 1, 1)));
      // Alternate the order of the two decoders, so neither always runs first.
      for (const which of i % 2 === 0 ? WHICH : (['in_thread', 'workers'] as const)) ms[which].push(await detect(which));
    }
    const lag = { workers: 0, in_thread: 0 };
    for (const which of WHICH) {
      ctx.progress(`loop lag, 8 concurrent detect callers x${lagImages} images each (${which})`);
      current = decoders[which];
      const svc = service;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        lag[which] = Math.max(lag[which], now - last - 5);
        last = now;
      }, 5);
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let i = 0; i < lagImages; i++) await svc.detect(bytes);
      }));
      clearInterval(timer);
    }
    await service.close();
    await session.release();
    await Promise.all(Object.values(decoders).map((d) => d.close()));
    const bare = median(ms.bare);
    const results: BenchResult[] = [summarize('pipeline.bare.b1_ms', 'ms', ms.bare, { note: 'session.run, batch 1, main thread, manifest engine settings' })];
    for (const which of WHICH) {
      const suffix = which === 'workers' ? '' : `.${which}`;
      results.push(summarize(`pipeline.detect.b1_ms${suffix}`, 'ms', ms[which], {
        target: { op: '<=', value: Math.round(130 * bare) / 100 },
        note: `ModelService.detect(bus.jpg), decoder ${which}; / bare = ${(median(ms[which]) / bare).toFixed(2)} (target <= 1.3)`,
      }));
      results.push(summarize(`pipeline.loop_lag_max${suffix}`, 'ms', [lag[which]], { target: { op: '<', value: 20 }, note: `worst 5 ms timer lag, 8 concurrent detect callers, decoder ${which}` }));
    }
    return results;
  },
};
