/**
 * @module infra/image/decode-worker-script
 * Where the decode worker code is, resolved like the engine's (infra/engine/worker-script.ts):
 * in a bundle (dist/server.js, dist/cli.js) this module's URL ends in .js and the worker is the
 * sibling bundle dist/decode-worker.js; from source it ends in .ts and the worker is
 * decode-worker-dev.mjs, which registers tsx in the worker and imports decode-worker-main.ts.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function resolveDecodeWorker(here: string = import.meta.url): URL {
  const url = here.endsWith('.ts') ? new URL('./decode-worker-dev.mjs', here) : new URL('./decode-worker.js', here);
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new Error(`decode worker script ${path} does not exist (run \`npm run build\`)`);
  return url;
}
