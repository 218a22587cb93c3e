/**
 * @module test/e2e/emulation/image
 * Step 1: bundle the service (scripts/build.mjs) and build the CPU image with the same script a
 * developer runs (scripts/deploy/build-image.sh). Where no registry is reachable the script
 * builds the local base once (debootstrap, ~90 s here) and reuses it afterwards.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { docker } from './docker.js';

export interface BuiltImage {
  readonly tag: string;
  /** The FROM image actually used (registry node:24-bookworm-slim, or the local stand-in with the host's node). */
  readonly base: string;
  readonly sizeBytes: number;
  readonly bundleMs: number;
  readonly buildMs: number;
  /** Whether the local base had to be made in this run (a cold machine). */
  readonly madeBase: boolean;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, timeout: 900_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message.split('\n')[0]}\n${stderr.split('\n').slice(-30).join('\n')}`));
      else resolve({ stdout, stderr });
    });
  });
}

export async function buildCpuImage(repoRoot: string, tag: string, log: (s: string) => void): Promise<BuiltImage> {
  const t0 = performance.now();
  await run(process.execPath, [path.join('scripts', 'build.mjs')], repoRoot);
  const bundleMs = performance.now() - t0;
  log(`bundled dist/ in ${Math.round(bundleMs)} ms`);
  const t1 = performance.now();
  const { stderr } = await run('bash', ['scripts/deploy/build-image.sh', 'cpu', tag], repoRoot);
  const buildMs = performance.now() - t1;
  for (const line of stderr.split('\n').filter((l) => l.startsWith('build-image:') || l.startsWith('make-base-image:'))) log(line);
  const [base, size] = (await docker(['image', 'inspect', '-f', '{{index .Config.Labels "detectfn.base"}} {{.Size}}', tag])).split(' ');
  return { tag, base: base ?? '', sizeBytes: Number(size), bundleMs, buildMs, madeBase: /local\/debian:bookworm built/.test(stderr) };
}
