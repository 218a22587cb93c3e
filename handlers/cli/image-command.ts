/**
 * @module handlers/cli/image-command
 * What `detect` and `classify` share: the image arguments, the model opened for the command's
 * task, a progress bar, and `{"images":[{image, width, height, ...answer}]}` written to --out
 * or stdout. The commands differ only in their flags and the model call.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelService } from '../../infra/runtime/model-service.js';
import type { Task } from '../../infra/runtime/index.js';
import { UsageError } from './args.js';
import { collectImages } from './images.js';
import { openModel } from './open-model.js';
import { createProgress } from './progress.js';

interface ImageAnswer {
  readonly image: { readonly width: number; readonly height: number };
}

export interface ImageCommand<R extends ImageAnswer> {
  readonly task: Task;
  readonly modelPath: string;
  readonly inputs: readonly string[];
  readonly out: string | undefined;
  readonly run: (model: ModelService, files: readonly string[], onDone: () => void) => Promise<R[]>;
  /** The answer fields of one image's entry (`detections` or `classes`). */
  readonly answer: (r: R) => object;
}

export async function runImageCommand<R extends ImageAnswer>(c: ImageCommand<R>): Promise<void> {
  if (c.inputs.length === 0) throw new UsageError(`${c.task} needs at least one image or directory`);
  const files = collectImages(c.inputs);
  const { model, registry } = await openModel(c.modelPath, c.task);
  const progress = createProgress(files.length, c.task);
  try {
    const results = await c.run(model, files, progress.tick);
    progress.stop();
    const images = results.map((r, i) => ({ image: path.basename(files[i]!), width: r.image.width, height: r.image.height, ...c.answer(r) }));
    const text = JSON.stringify({ images }) + '\n';
    if (c.out !== undefined) await writeFile(c.out, text);
    else process.stdout.write(text);
  } finally {
    progress.stop();
    await registry.close();
  }
}
