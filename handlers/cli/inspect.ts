/**
 * @module handlers/cli/inspect
 * `detectfn inspect --model M IMAGE [--view out.png] [--compare tensor.npy]...`: the exact model
 * input for IMAGE (the same ModelService.preprocess as POST /v1/models/{m}/preprocess), printed
 * as plan, steps and per-channel stats; --view writes the model's-eye PNG; each --compare reads
 * a tensor the training pipeline saved (.npy) and prints the per-channel differences and a
 * verdict. Exits 1 when a reference does not match, so a deploy script can gate on it.
 *
 * The output is plain lines, one fact each, easy to grep.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { significant } from '../../core/geometry.js';
import { type ChannelStats, compareTensors, type Comparison, parseNpy, type PlanView, type PreprocessStep, tensorToRgb, toFloat32 } from '../../core/inspect.js';
import { encodeRgbPng } from '../../infra/image/render.js';
import type { PreprocessedImage } from '../../infra/model/inspect.js';
import { parseCommand, requiredFlag, stringFlag, UsageError } from './cli.js';
import { collectImages, openModel } from './images.js';

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

export function inspectText(r: PreprocessedImage): string {
  return [
    `model ${r.model} v${r.version}: input ${r.tensor.name} ${r.tensor.dtype} [${r.tensor.shape.join(',')}]`,
    planLine(r.plan),
    `steps: ${r.steps.map(stepText).join(' -> ')}`,
    ...r.tensor.channels.map((s, c) => statLine(c, s)),
  ].join('\n') + '\n';
}

export function compareText(file: string, dtype: string, c: Comparison): string {
  return [
    `compare ${file} (${dtype}):`,
    ...c.channels.map((d, i) => `  channel ${i}: max abs diff ${n(d.maxAbs)}, mean abs diff ${n(d.meanAbs)}`),
    ...c.verdicts.map((v) => `  verdict: ${v}`),
  ].join('\n') + '\n';
}

function planLine(p: PlanView): string {
  switch (p.kind) {
    case 'letterbox': {
      const pad = p.padding;
      return `plan: letterbox ${size(p.source)} -> ${size(p.resized)} (scale ${n(p.scale)}), padding left ${pad.left} right ${pad.right} top ${pad.top} bottom ${pad.bottom} (value ${p.padValue}) -> ${size(p.target)}`;
    }
    case 'crop': {
      const { crop: w, padding: pad } = p;
      return `plan: crop ${size(p.source)} -> ${size(p.resized)} (scale ${n(p.scale)}), window ${w.width}x${w.height} at (${w.left}, ${w.top}), padding left ${pad.left} right ${pad.right} top ${pad.top} bottom ${pad.bottom} (value ${p.padValue}) -> ${size(p.target)}`;
    }
  }
}

function stepText(s: PreprocessStep): string {
  switch (s.step) {
    case 'decode': return `decode (EXIF orientation, ${s.colour}, alpha ${s.alpha})`;
    case 'resize': return `resize ${s.kernel} ${size(s.from)} -> ${size(s.to)}`;
    case 'crop': return `crop ${s.window.width}x${s.window.height} at (${s.window.left}, ${s.window.top})`;
    case 'pad': return `pad ${s.value}`;
    case 'channels': return `channels ${s.order}`;
    case 'scale': return `scale ${n(s.factor)}`;
    case 'normalize': return `mean [${s.mean.map(n).join(', ')}] std [${s.std.map(n).join(', ')}]`;
    case 'layout': return `layout ${s.layout}`;
    case 'dtype': return `dtype ${s.dtype}`;
  }
}

const statLine = (c: number, s: ChannelStats) => `channel ${c}: min ${n(s.min)} max ${n(s.max)} mean ${n(s.mean)} std ${n(s.std)}`;

const n = (x: number) => significant(x, 4);
const size = (s: { width: number; height: number }) => `${s.width}x${s.height}`;
