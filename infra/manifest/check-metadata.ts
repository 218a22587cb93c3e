/**
 * @module infra/manifest/check-metadata
 * Manifest vs the Ultralytics metadata stored in the model: image size, stride, task,
 * end-to-end head and class names. Decides the labels the service reports.
 */
import type { UltralyticsMetadata } from '../onnx/index.js';
import type { ModelManifest } from './types.js';

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
