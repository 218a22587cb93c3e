// Decode worker entry when running from source (vitest, tsx): Node 20 does not apply
// `--import tsx` to worker threads, so register tsx's loader here, then load the TypeScript
// worker. Piscina awaits the default export: the per-decode function (no top-level await: Node 24
// may load this file with require()). Production runs the bundle dist/decode-worker.js.
import { register } from 'tsx/esm/api';

register();
export default import('./decode-worker.ts').then((m) => m.default);
