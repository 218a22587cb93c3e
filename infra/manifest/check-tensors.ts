/**
 * @module infra/manifest/check-tensors
 * Manifest vs the model's declared tensors: input name, dtype, rank and fixed dimensions, the
 * batch sizes a fixed batch dimension can serve, output names, and the output shape the
 * chosen decoder expects. Each problem is one sentence naming both sides.
 */
import type { TensorInfo } from '../../core/ports/index.js';
import type { ModelManifest } from './types.js';

export const describeTensor = (t: { name: string; dtype: string; shape: readonly (number | string)[] }) =>
  `\`${t.name}\` ${t.dtype} [${t.shape.join(',')}]`;

export function checkInput(m: ModelManifest, inputs: readonly TensorInfo[], problems: string[]): void {
  const want = describeTensor(m.input);
  const have = inputs.find((t) => t.name === m.input.name);
  if (inputs.length !== 1 || !have) {
    problems.push(`manifest says input ${want}, model has ${inputs.map(describeTensor).join(', ') || 'no inputs'}`);
    return;
  }
  const dimsDiffer = have.shape.length !== m.input.shape.length ||
    have.shape.some((d, i) => i > 0 && typeof d === 'number' && d !== m.input.shape[i]);
  if (have.dtype !== m.input.dtype || dimsDiffer) problems.push(`manifest says input ${want}, model has ${describeTensor(have)}`);
  const sizes = m.batching.batchSizes;
  const fixed = [have.shape[0], m.input.shape[0]].filter((d): d is number => typeof d === 'number');
  for (const b of fixed) {
    if (sizes.some((s) => s !== b)) {
      const side = b === have.shape[0] ? `model ${describeTensor(have)}` : `manifest input ${want}`;
      problems.push(`manifest says batching.batchSizes [${sizes.join(',')}], ${side} has a fixed batch dimension of ${b}`);
    }
  }
}

/** Rank and rows/columns the known decoders (and a classifier) expect; other decoders are not checked here. */
function expectedOutput(m: ModelManifest, nc: number | undefined): { rank: number; axis: number; size: number | undefined; text: string } | null {
  const decoder = m.output.decoder;
  if (m.task === 'classify') return { rank: 2, axis: 1, size: nc, text: `[batch, ${nc ?? 'classes'}]` };
  if (decoder === 'yolov8') return { rank: 3, axis: 1, size: nc === undefined ? undefined : 4 + nc, text: `[batch, ${nc === undefined ? '4+classes' : 4 + nc}, anchors]` };
  if (decoder === 'yolov5') return { rank: 3, axis: 2, size: nc === undefined ? undefined : 5 + nc, text: `[batch, anchors, ${nc === undefined ? '5+classes' : 5 + nc}]` };
  if (decoder === 'end2end') return { rank: 3, axis: 2, size: 6, text: '[batch, detections, 6]' };
  return null;
}

export function checkOutputs(m: ModelManifest, outputs: readonly TensorInfo[], nc: number | undefined, problems: string[]): void {
  const missing = m.output.names.filter((n) => !outputs.some((o) => o.name === n));
  if (missing.length > 0) {
    const names = (xs: readonly string[]) => xs.map((n) => `\`${n}\``).join(', ');
    problems.push(`manifest says outputs ${names(m.output.names)}, model has ${outputs.map(describeTensor).join(', ')}`);
    return;
  }
  const first = outputs.find((o) => o.name === m.output.names[0])!;
  const want = expectedOutput(m, nc);
  if (!want) return;
  const size = first.shape[want.axis];
  const bad = first.shape.length !== want.rank || (typeof size === 'number' && want.size !== undefined && size !== want.size) ||
    (want.size === undefined && want.rank === 3 && typeof size === 'number' && size <= want.axis + 3);
  const who = m.task === 'classify' ? `classifier (task classify, ${nc ?? 'unknown'} labels)` : `decoder ${m.output.decoder}`;
  if (bad) problems.push(`manifest ${who} expects \`${first.name}\` ${want.text}, model has ${describeTensor(first)}`);
}
