/**
 * @module handlers/cli/inspect-command
 * `detectfn inspect --model M IMAGE [--view out.png] [--compare tensor.npy]...`: the exact model
 * input for IMAGE (the same ModelService.preprocess as POST /v1/models/{m}/preprocess), printed
 * as plan, steps and per-channel stats; --view writes the model's-eye PNG; each --compare reads
 * a tensor the training pipeline saved (.npy) and prints the differences and a verdict. Exits 1
 * when a reference does not match, so a deploy script can gate on it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { compareTensors, parseNpy, tensorToRgb, toFloat32 } from '../../core/preprocess/index.js';
import { encodeRgbPng } from '../../infra/image/index.js';
import { parseCommand, requiredFlag, stringFlag, UsageError } from './args.js';
import { collectImages } from './images.js';
import { compareText, inspectText } from './inspect-report.js';
import { openModel } from './open-model.js';

export const INSPECT_FLAGS = {
  model: { type: 'string', short: 'm' },
  view: { type: 'string' },
  compare: { type: 'string', multiple: true },
} as const;

export async function inspectCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, INSPECT_FLAGS);
  const modelPath = requiredFlag(values, 'model');
  if (positionals.length !== 1) throw new UsageError(`inspect takes exactly one image, got ${positionals.length}`);
  const [image] = collectImages(positionals);
  const view = stringFlag(values, 'view');
  const compares = (values.compare as string[] | undefined) ?? [];
  // Read the references first: a bad .npy fails before the model loads.
  const refs = await Promise.all(compares.map(async (file) => ({ file, npy: parseNpy(new Uint8Array(await readFile(file))) })));
  const bytes = new Uint8Array(await readFile(image!));
  const { model, registry } = await openModel(modelPath);
  let mismatches = 0;
  try {
    const r = await model.preprocess(bytes);
    process.stdout.write(inspectText(r));
    if (view !== undefined) {
      const rgb = tensorToRgb(r.tensor.data, r.tensor.shape, r.inverse);
      await writeFile(view, await encodeRgbPng(rgb.pixels, rgb.width, rgb.height));
    }
    const ours = { dims: r.tensor.shape.slice(1) as [number, number, number], data: toFloat32(r.tensor.data) };
    for (const { file, npy } of refs) {
      const c = compareTensors(ours, npy);
      if (!c.match) mismatches++;
      process.stdout.write(compareText(file, `${npy.dtype} [${npy.dims.join(',')}]`, c));
    }
  } finally {
    await registry.close();
  }
  if (mismatches > 0) throw new Error(`${mismatches} of ${refs.length} reference tensors differ (see the verdicts above)`);
}
