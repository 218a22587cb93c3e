/**
 * @module infra/image/decode-worker
 * Entry of a decode worker thread (bundled as dist/decode-worker.js), loaded by piscina: the
 * thread's logic is infra/image/pipeline.ts; its default export is the per-image function.
 */
import { startDecodeThread } from './pipeline.js';

export default startDecodeThread();
