/**
 * @module scripts/gpu-check/check
 * Entry of the pack's dist/gpu-check.js, started by scripts/gpu-check.sh with plain node on a
 * GPU machine that has no network. It stages the runtime (stage.ts) and runs the check from
 * there (run.ts), so that `onnxruntime-node` resolves to the inflated library.
 *   --pack DIR  --out FILE  --iterations N  --batches 1,2,4,8  --require-gpu
 *   --candidate PROVIDER  held to CPU (default webgpu; `cpu` checks the comparison itself, no GPU needed)
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ExecutionProvider } from '../../core/types.js';
import { expectInteger, expectOneOf } from '../../core/errors.js';
import { REPORT_NAME } from './layout.js';
import type { runCheck } from './run.js';
import { stageRuntime } from './stage.js';

const { values: flags } = parseArgs({
  options: {
    pack: { type: 'string' },
    out: { type: 'string' },
    iterations: { type: 'string', default: '20' },
    batches: { type: 'string', default: '1,2,4,8' },
    'require-gpu': { type: 'boolean', default: false },
    candidate: { type: 'string', default: 'webgpu' },
  },
});
if (!flags.pack) throw new Error('--pack DIR is required (scripts/gpu-check.sh passes it)');
const pack = resolve(flags.pack);
const runtime = stageRuntime(pack);
try {
  const run = (await import(pathToFileURL(join(runtime.dir, 'dist/gpu-check-run.js')).href)) as { runCheck: typeof runCheck };
  process.exitCode = await run.runCheck({
    pack,
    workerScript: runtime.workerScript,
    out: resolve(flags.out ?? (process.env.OUT ? join(process.env.OUT, REPORT_NAME) : join(pack, REPORT_NAME))),
    iterations: expectInteger('--iterations', Number(flags.iterations), 1, 10_000),
    batches: flags.batches!.split(',').map((b) => expectInteger('--batches', Number(b), 1, 64)),
    requireGpu: flags['require-gpu']!,
    candidate: expectOneOf<ExecutionProvider>('--candidate', flags.candidate, ['webgpu', 'cuda', 'tensorrt', 'cpu']),
  });
} finally {
  runtime.remove();
}
