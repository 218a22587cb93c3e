/**
 * @module infra/model/cross-check
 * Refuses to serve a model whose file disagrees with its manifest, at start-up rather than as
 * wrong boxes later (the tensor-mapping trap). The ONNX file's declared inputs and outputs and
 * Ultralytics' metadata are compared with the manifest: input name, dtype, rank and fixed
 * dimensions, the batch sizes a fixed batch dimension can serve, output names, the output shape
 * the chosen decoder expects, image size, stride, task, end-to-end head and class names. Every
 * disagreement is reported in one MODEL_MISMATCH error, each naming what the manifest says and
 * what the model has: `manifest says input images float32 [batch,3,640,640], model has input.1
 * float32 [1,3,416,416]`.
 *
 * A model served by its path alone gets the YOLOv8 default manifest adapted to what the file
 * declares (adaptManifestToModel); the cross-check still runs on the result.
 */
import { DetectError } from '../../core/errors.js';
import type { TensorInfo } from '../../core/types.js';
import { type ModelInfo, parseUltralyticsMetadata, type UltralyticsMetadata } from '../onnx/model-info.js';
import { type CrossCheckResult, type ModelManifest, parseManifest, withoutOtherTaskFields } from './manifest.js';

/** The labels the service reports (the manifest's, or the model's metadata) and warnings to log; throws MODEL_MISMATCH. */
export function crossCheckManifest(manifest: ModelManifest, info: ModelInfo): CrossCheckResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  checkInput(manifest, info.inputs, problems);
  const labels = checkMetadata(manifest, parseUltralyticsMetadata(info.metadata), problems, warnings);
  checkOutputs(manifest, info.outputs, labels.length > 0 ? labels.length : undefined, problems);
  if (problems.length > 0) {
    throw new DetectError('MODEL_MISMATCH', `model ${manifest.name} (${manifest.source.uri}): ${problems.join('; ')}`, {
      details: { model: manifest.name, problems },
    });
  }
  return { labels, warnings };
}

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

// Manifest vs the Ultralytics metadata stored in the model: image size, stride, task,
// end-to-end head and class names. Decides the labels the service reports.
export function checkMetadata(m: ModelManifest, md: UltralyticsMetadata, problems: string[], warnings: string[]): string[] {
  const [, , height, width] = m.input.shape as readonly number[];
  if (md.imgsz && (md.imgsz[0] !== height || md.imgsz[1] !== width)) {
    problems.push(`manifest says input ${height}x${width} (height x width), model metadata has imgsz [${md.imgsz.join(', ')}]`);
  }
  // The stride constrains the letterbox; a classifier's crop has none.
  if (md.stride !== undefined && m.task === 'detect') {
    const lb = m.preprocess.letterbox.stride;
    if (lb % md.stride !== 0) problems.push(`manifest says preprocess.letterbox.stride ${lb}, model metadata has stride ${md.stride} (must divide it)`);
    if (height! % md.stride !== 0 || width! % md.stride !== 0) problems.push(`manifest says input ${height}x${width}, model metadata has stride ${md.stride} (must divide both)`);
  }
  if (md.task !== undefined && md.task !== m.task) problems.push(`manifest says task ${m.task}, model metadata has task ${md.task}`);
  const e2eDecoder = m.output.decoder === 'end2end';
  if (md.end2end === true && !e2eDecoder) problems.push(`manifest says output.decoder ${m.output.decoder}, model metadata has end2end True (use decoder end2end)`);
  if (md.end2end === false && e2eDecoder) problems.push('manifest says output.decoder end2end, model metadata has end2end False');
  if (md.names === undefined && md.imgsz === undefined && md.task === undefined) {
    warnings.push('model has no Ultralytics metadata: image size, stride, task and class names not cross-checked');
  }
  return labelsFor(m, md, problems, warnings);
}

function labelsFor(m: ModelManifest, md: UltralyticsMetadata, problems: string[], warnings: string[]): string[] {
  if (m.labels === 'metadata') {
    if (!md.names) problems.push('manifest says labels "metadata", model metadata has no names (list the labels in the manifest)');
    return md.names ?? [];
  }
  const labels = [...m.labels];
  if (md.names && md.names.length !== labels.length) {
    problems.push(`manifest lists ${labels.length} labels, model metadata has ${md.names.length} names`);
  } else if (md.names && md.names.some((n, i) => n !== labels[i])) {
    const i = md.names.findIndex((n, k) => n !== labels[k]);
    warnings.push(`manifest labels differ from model metadata names (first at ${i}: ${JSON.stringify(labels[i])} vs ${JSON.stringify(md.names[i])}); serving the manifest's`);
  }
  return labels;
}

// A model served by its path alone (`detectfn serve --model x.onnx`) gets the YOLOv8 default
// manifest, then takes what the file itself states: input name, size and fixed batch, output
// name, and the end-to-end flag Ultralytics writes. Only facts the model declares are taken;
// anything else stays default, and crossCheckManifest still runs on the result, so a model
// that is not a YOLO-style detector fails start-up with the usual mismatch message.
// Manifests written by hand are never adapted: there, a disagreement is the user's error.
export function adaptManifestToModel(manifest: ModelManifest, info: ModelInfo): ModelManifest {
  const input = info.inputs[0];
  const meta = parseUltralyticsMetadata(info.metadata);
  if (!input || input.shape.length !== 4) return manifest;
  const [batch, channels, height, width] = input.shape;
  const size = typeof height === 'number' && typeof width === 'number' ? [height, width] : meta.imgsz;
  const adapted = {
    ...manifest,
    input: {
      ...manifest.input,
      name: input.name,
      shape: [typeof batch === 'number' ? batch : 'batch', channels, size?.[0] ?? manifest.input.shape[2], size?.[1] ?? manifest.input.shape[3]],
    },
    output: {
      names: info.outputs.length === 1 ? [info.outputs[0]!.name] : manifest.output.names,
      decoder: meta.end2end === true ? 'end2end' : manifest.output.decoder,
    },
    batching: { ...manifest.batching, batchSizes: typeof batch === 'number' ? [batch] : manifest.batching.batchSizes },
    preprocess: {
      ...manifest.preprocess,
      letterbox: { ...manifest.preprocess.letterbox, ...(meta.stride ? { stride: Math.max(meta.stride, manifest.preprocess.letterbox.stride) } : {}) },
    },
  };
  return parseManifest(withoutOtherTaskFields(adapted), `${manifest.source.uri} (default manifest adapted to the model)`);
}
