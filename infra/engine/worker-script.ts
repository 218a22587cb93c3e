/**
 * @module infra/engine/worker-script
 * Where the worker code is. In a bundle (dist/server.js, dist/cli.js) this module's URL ends
 * in .js and the worker is the sibling bundle dist/engine-worker.js. From source (vitest,
 * tsx) it ends in .ts and the worker is worker-dev.mjs, which registers tsx in the worker
 * (Node 20 ignores `--import tsx` in a worker's execArgv) and imports worker-main.ts.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkerScript {
  readonly url: URL;
}

export function resolveWorkerScript(override?: string | URL, here: string = import.meta.url): WorkerScript {
  const url = override === undefined ? defaultUrl(here) : toUrl(override);
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new Error(`engine worker script ${path} does not exist (run \`npm run build\`)`);
  return { url };
}

function defaultUrl(here: string): URL {
  return here.endsWith('.ts') ? new URL('./worker-dev.mjs', here) : new URL('./engine-worker.js', here);
}

function toUrl(p: string | URL): URL {
  if (p instanceof URL) return p;
  return p.startsWith('file:') ? new URL(p) : pathToFileURL(resolve(p));
}
