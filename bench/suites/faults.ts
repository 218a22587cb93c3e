/**
 * @module bench/suites/faults
 * Work wasted under overload: the real server (yolov8n, the default manifest: queue bound 64)
 * and 8 closed-loop clients, each sending 16-image requests (bus.jpg, JSON base64) and retrying
 * 100 ms after a 503 (sooner than Retry-After, to keep the queue full). The engine's own count
 * of images run (/metrics) against the images delivered in 200 responses gives
 * `faults.wasted_images_ratio` = run / delivered - 1: images computed for requests that were
 * refused, expired or abandoned. Before all-or-none admission: 191 run for 80 delivered (1.39).
 * A request that passes its deadline (504) after some of its images ran still wastes those:
 * admission does not yet refuse work that cannot finish in time.
 */
import { readFileSync } from 'node:fs';
import { silentLogger } from '../../infra/config.js';
import { startServer } from '../../handlers/serve.js';
import { engineImages } from '../../test/helpers/engine-images.js';
import { IMAGES, MODELS } from '../../test/helpers/shared-data.js';
import { type BenchSuite, summarize } from '../report.js';

const CLIENTS = 8;
const IMAGES_PER_REQUEST = 16;

export const faultsSuite: BenchSuite = {
  name: 'faults',
  async run(ctx) {
    const reps = ctx.quick ? 1 : 3;
    const seconds = ctx.quick ? 6 : 12;
    const bus = Buffer.from(readFileSync(IMAGES.bus())).toString('base64');
    const body = JSON.stringify({ images: Array.from({ length: IMAGES_PER_REQUEST }, () => bus) });
    const server = await startServer({ env: {}, logger: silentLogger(), config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [MODELS.yolov8n()] } });
    try {
      await server.ready;
      const model = server.registry.names()[0]!;
      const url = `${server.url}/v1/models/${model}/detect`;
      const ratios: number[] = [];
      const statuses = new Map<number, number>();
      const counts = () => [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${n} x ${status}`).join(', ');
      for (let rep = 0; rep < reps; rep++) {
        const before = await engineImages(server.url, model);
        const end = performance.now() + seconds * 1000;
        let delivered = 0;
        const client = async () => {
          while (performance.now() < end) {
            const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
            const answer = (await res.json()) as { results?: unknown[] };
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status === 200) delivered += answer.results?.length ?? 0;
            else if (res.status === 503) await new Promise((r) => setTimeout(r, 100));
          }
        };
        await Promise.all(Array.from({ length: CLIENTS }, client));
        const ran = (await engineImages(server.url, model)) - before;
        ratios.push(delivered > 0 ? ran / delivered - 1 : Number.POSITIVE_INFINITY);
        ctx.progress(`rep ${rep}: engine ran ${ran} images, delivered ${delivered}; answers so far ${counts()}`);
      }
      return [
        summarize('faults.wasted_images_ratio', 'ratio', ratios, {
          target: { op: '<=', value: 0.05 },
          note: `engine images run / delivered - 1; ${CLIENTS} clients x ${IMAGES_PER_REQUEST} images, ${seconds} s; ${counts()}`,
        }),
      ];
    } finally {
      await server.close();
    }
  },
};
