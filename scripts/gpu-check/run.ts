/**
 * @module scripts/gpu-check/run
 * The check (bundled as dist/gpu-check-run.js, imported from the staged runtime): yolov8n on
 * CPU and on a candidate provider (WebGPU) at each batch size, the candidate's outputs held to
 * CPU's, one JSON report. Exit code 1 when CPU (the reference) fails; the candidate failing is
 * a finding, an error only with `requireGpu`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import type { LetterboxPlan } from '../../core/geometry.js';
import type { Detection, ExecutionProvider, TensorMap } from '../../core/types.js';
import { compareBoxes, detectionsPerItem, tensorDiffs } from './compare.js';
import { MODEL_FILE, REPORT_NAME } from './layout.js';
import { measureProvider, type ProviderResult } from './measure.js';
import { fileSizes } from './pack-files.js';
import { loadInputs, readManifest } from './stage.js';

export interface CheckOptions {
  readonly pack: string;
  readonly workerScript: string;
  readonly out: string;
  readonly iterations: number;
  readonly batches: readonly number[];
  readonly requireGpu: boolean;
  /** The provider held to CPU. @default 'webgpu' (set by check.ts) */
  readonly candidate: ExecutionProvider;
}

export async function runCheck(o: CheckOptions): Promise<number> {
  const manifest = readManifest(o.pack);
  // The pack as it travelled: a report an earlier run left in it does not count.
  const packBytes = Object.entries(fileSizes(o.pack)).reduce((a, [f, n]) => (f === REPORT_NAME ? a : a + n), 0);
  const inputs = loadInputs(o.pack);
  const measure = { modelPath: join(o.pack, MODEL_FILE), workerScript: o.workerScript, images: inputs.map((i) => i.pixels), size: inputs[0]!.plan.target, batches: o.batches, iterations: o.iterations };
  const results: ProviderResult[] = [];
  for (const provider of ['cpu', o.candidate] as const) {
    console.error(`gpu-check: ${provider} ...`);
    results.push(await measureProvider(provider, measure));
  }
  const [cpu, gpu] = results as [ProviderResult, ProviderResult];
  const plans = inputs.map((i) => i.plan);
  const comparison =
    cpu.ok && gpu.ok
      ? o.batches.map((batch) => {
          const ref = cpu.outputs.get(batch)!;
          const cand = gpu.outputs.get(batch)!;
          const candDets = detectionsPerItem(cand, batch, plans);
          const items = detectionsPerItem(ref, batch, plans).map((r, i) => compareBoxes(r, candDets[i]!));
          return { batch, tensors: tensorDiffs(ref, cand), sameBoxes: items.every((i) => i.same), items };
        })
      : undefined;
  const gpuUsed = gpu.ok && gpu.providerUsed === o.candidate;
  const agrees = comparison?.every((c) => c.sameBoxes) ?? false;
  const report = {
    createdAt: new Date().toISOString(),
    host: { hostname: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model, gpu: nvidiaGpu(), node: process.version, platform: `${process.platform}-${process.arch}` },
    env: { LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH ?? null, VK_DRIVER_FILES: process.env.VK_DRIVER_FILES ?? null },
    pack: { bytes: packBytes, limitBytes: manifest.limitBytes, withinLimit: packBytes <= manifest.limitBytes, createdAt: manifest.createdAt, ortVersion: manifest.ortVersion },
    model: MODEL_FILE,
    inputs: inputs.map((i) => ({ name: i.name, source: i.plan.source, target: i.plan.target })),
    iterations: o.iterations,
    providers: results.map((r) => (r.ok ? { ...r, outputs: undefined } : r)),
    candidate: gpu.ok ? { provider: o.candidate, started: true, providerUsed: gpu.providerUsed } : { provider: o.candidate, started: false, error: gpu.error },
    // What CPU found on each input (the largest batch, first items): the reference is not empty.
    cpuDetections: cpu.ok ? cpuFindings(cpu.outputs, o.batches, plans).map((d, i) => ({ input: inputs[i]!.name, detections: d })) : [],
    comparison: comparison ?? { skipped: `${results.filter((r) => !r.ok).map((r) => r.requested).join(' and ')} did not start` },
    verdict: !cpu.ok
      ? 'cpu failed: the check itself is broken'
      : !gpuUsed
        ? `${o.candidate} unavailable: CPU figures only`
        : agrees
          ? `${o.candidate} agrees with cpu`
          : `${o.candidate} DISAGREES with cpu`,
  };
  writeFileSync(o.out, JSON.stringify(report, null, 2) + '\n');
  for (const r of results) {
    if (!r.ok) console.log(`${r.requested}: did not start: ${r.error}`);
    else for (const b of r.batches) console.log(`${r.providerUsed} b${b.batch}: ${b.medianMs.toFixed(2)} ms/batch, ${b.imagesPerS.toFixed(1)} images/s (session ${r.sessionMs.toFixed(0)} ms)`);
  }
  console.log(`gpu-check: ${report.verdict}; report ${o.out}`);
  return !cpu.ok || (o.requireGpu && !(gpuUsed && agrees)) ? 1 : 0;
}

function cpuFindings(outputs: ReadonlyMap<number, TensorMap>, batches: readonly number[], plans: readonly LetterboxPlan[]): Detection[][] {
  const batch = Math.max(...batches);
  return detectionsPerItem(outputs.get(batch)!, Math.min(batch, plans.length), plans);
}

/** Which GPU and driver, for the README's "measured where"; null where nvidia-smi is absent or fails. */
function nvidiaGpu(): string | null {
  try {
    const args = ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'];
    return execFileSync('nvidia-smi', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
