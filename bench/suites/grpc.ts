/**
 * @module bench/suites/grpc
 * The KServe v2 gRPC listener under load, beside the http suite's http.c16.rps: the real server
 * in this process (yolov8n, default batching), 16 concurrent gRPC clients (one channel each) in
 * a child process (bench/load/grpc-load-child.mjs) sending bus.jpg as a BYTES element. Figures:
 * grpc.c16.rps, grpc.c16.p50 and grpc.c16.p99 per repetition.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTO_DIR } from '../../handlers/grpc/server.js';
import { startServer } from '../../handlers/serve.js';
import { silentLogger } from '../../infra/config.js';
import { IMAGES, MODELS } from '../../test/helpers/shared-data.js';
import { type BenchSuite, percentile, summarize } from '../report.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '../load/grpc-load-child.mjs');

interface GrpcLoad { latencies: number[]; ok: number; errors: number; firstError?: string; seconds: number }

function runGrpcLoad(cfg: { port: number; model: string; clients: number; duration: number }): Promise<GrpcLoad> {
  return new Promise((resolve, reject) => {
    const arg = JSON.stringify({ ...cfg, protoDir: PROTO_DIR, imageFile: IMAGES.bus() });
    const child = spawn(process.execPath, [CHILD, arg], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as GrpcLoad) : reject(new Error(`grpc load child exited ${code}: ${err.slice(-2000)}`))));
  });
}

function check(r: GrpcLoad, what: string): void {
  if (r.errors > 0) throw new Error(`${what}: ${r.errors} failed calls (first: ${r.firstError})`);
}

export const grpcSuite: BenchSuite = {
  name: 'grpc',
  async run(ctx) {
    const reps = ctx.quick ? 1 : 3;
    const server = await startServer({ env: {}, logger: silentLogger(), config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [MODELS.yolov8n()] } });
    try {
      await server.ready;
      const load = { port: server.grpcPort!, model: server.registry.names()[0]! };
      check(await runGrpcLoad({ ...load, clients: 4, duration: 2 }), 'warm-up');
      const rps: number[] = [], p50: number[] = [], p99: number[] = [];
      for (let rep = 0; rep < reps; rep++) {
        const r = await runGrpcLoad({ ...load, clients: 16, duration: ctx.quick ? 5 : 10 });
        check(r, 'c16');
        const sorted = [...r.latencies].sort((a, b) => a - b);
        rps.push(r.ok / r.seconds); p50.push(percentile(sorted, 50)); p99.push(percentile(sorted, 99));
        ctx.progress(`rep ${rep}: ${rps.at(-1)!.toFixed(1)} rps, p50 ${p50.at(-1)!.toFixed(1)} ms, p99 ${p99.at(-1)!.toFixed(1)} ms (${r.ok} calls)`);
      }
      return [
        summarize('grpc.c16.rps', 'req/s', rps, { note: '16 gRPC clients, bus.jpg as BYTES raw_input_contents; compare http.c16.rps (same model, same run settings)' }),
        summarize('grpc.c16.p50', 'ms', p50),
        summarize('grpc.c16.p99', 'ms', p99),
      ];
    } finally {
      await server.close();
    }
  },
};
