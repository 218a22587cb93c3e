/**
 * @module handlers/cli/run-images
 * Runs a model over image files with a bounded number in flight: enough to fill the
 * micro-batcher, few enough that a large folder is not read into memory at once. Results come
 * back in input order. `detectFiles` and `classifyFiles` differ only in the model call.
 */
import { readFile } from 'node:fs/promises';
import type { DetectOptions } from '../../core/options/index.js';
import type { ClassifyOptions, ClassifyResult, DetectResult, ModelService } from '../../infra/runtime/model-service.js';

/** Images read and in flight at once. */
export const IN_FLIGHT = 16;

async function runFiles<T>(files: readonly string[], run: (bytes: Uint8Array) => Promise<T>, onDone: () => void): Promise<T[]> {
  const results = new Array<T>(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const bytes = await readFile(files[i]);
      try {
        results[i] = await run(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } catch (err) {
        throw new Error(`${files[i]}: ${(err as Error).message}`, { cause: err });
      }
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, files.length) }, worker));
  return results;
}

export function detectFiles(model: ModelService, files: readonly string[], options: Partial<DetectOptions>, onDone: () => void = () => undefined): Promise<DetectResult[]> {
  return runFiles(files, (bytes) => model.detect(bytes, options), onDone);
}

export function classifyFiles(model: ModelService, files: readonly string[], options: Partial<ClassifyOptions>, onDone: () => void = () => undefined): Promise<ClassifyResult[]> {
  return runFiles(files, async (bytes) => (await model.classifyMany([bytes], options))[0]!, onDone);
}
