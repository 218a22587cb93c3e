/**
 * Child process for infra/image/decode-threadpool.test.ts: with the libuv pool held by one long
 * job (run it with UV_THREADPOOL_SIZE=1), which finishes first, a JPEG decode or that job?
 * Prints `{"order": [...]}`. Usage: tsx threadpool-probe.ts IMAGE DECODE_WORKERS
 */
import { pbkdf2 } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { planLetterbox } from '../../core/geometry.js';
import { createSharpDecoder } from '../../infra/image/decoder.js';

const [file, workers] = process.argv.slice(2);
const decoder = createSharpDecoder({ workers: Number(workers), jpegDecoder: 'turbojpeg' });
const bytes = new Uint8Array(readFileSync(file!));
const plan = (s: { width: number; height: number }) => planLetterbox(s);
await decoder.decode(bytes, plan); // warm: a decode worker has started and loaded everything
const order: string[] = [];
// About 2 s of the pool's only thread (pbkdf2 runs there), queued before the decode.
const busy = new Promise<void>((resolve) => pbkdf2('x', 'y', 3_000_000, 64, 'sha512', () => resolve(void order.push('threadpool job'))));
const decoded = decoder.decode(bytes, plan).then(() => void order.push('decode'));
await Promise.all([busy, decoded]);
await decoder.close();
console.log(JSON.stringify({ order }));
