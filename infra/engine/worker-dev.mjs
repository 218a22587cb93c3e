// Worker entry when running from source (vitest, tsx): Node 20 does not apply `--import tsx`
// to worker threads, so register tsx's loader here, then load the TypeScript worker.
// Production never loads this file: it runs the esbuild bundle dist/engine-worker.js.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
