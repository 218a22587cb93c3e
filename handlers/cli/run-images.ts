/**
 * @module handlers/cli/run-images
 * Runs a model over image files with a bounded number in flight: enough to fill the
 * micro-batcher, few enough that a large folder is not read into memory at once. Results come
 * back in input order.
 */
import { readFile } from 'node:fs/promises';
import type { DetectOptions } from '../../core/options/index.js';
import type { DetectResult, ModelService } from '../../infra/runtime/model-service.js';

/** Images read and in flight at once. */
export const IN_FLIGHT = 16;

export async function detectFiles(
  model: ModelService,
  files: readonly string[],
  options: Partial<DetectOptions>,
  onDone: () => void = () => undefined,
): Promise<DetectResult[]> {
  const results = new Array<DetectResult>(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const bytes = await readFile(files[i]);
      try {
        results[i] = await model.detect(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
      } catch (err) {
        throw new Error(`${files[i]}: ${(err as Error).message}`, { cause: err });
      }
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, files.length) }, worker));
  return results;
}
