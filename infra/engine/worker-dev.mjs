// Worker entry when running from source (vitest, tsx): Node 20 does not apply `--import tsx`
// to worker threads, so register tsx's loader here, then load the TypeScript worker. Piscina
// awaits the default export: the per-run function, once worker.ts has loaded (no top-level
// await: Node 24 may load this file with require()). Production runs dist/engine-worker.js.
import { register } from 'tsx/esm/api';

register();
export default import('./worker.ts').then((m) => m.default);
