/**
 * @module test/helpers/yolov8n-direct
 * yolov8n run straight through onnxruntime-node (no engine adapter, no batcher, CPU) on one
 * image file: the real image adapter (infra/image) decodes and letterboxes it and core
 * normalizes it. For the tests and benches that hold core's postprocessing to a reference, or
 * compare its routes, on real raw outputs [1, 84, 8400].
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { type LetterboxPlan, planLetterbox } from '../../core/geometry.js';
import { normalizeInto } from '../../core/normalize.js';
import type { TensorMap } from '../../core/types.js';
import { createSharpDecoder } from '../../infra/image/decoder.js';
import type { ResizeMode } from '../../infra/image/pipeline.js';
import { MODELS } from './shared-data.js';

/** A CPU session on ../shared's yolov8n.onnx; the caller releases it. */
export function openYolov8n(): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(MODELS.yolov8n(), { executionProviders: ['cpu'] });
}

/**
 * The raw `output0` of `session` on `file`, letterboxed to the default 640 plan, with that plan
 * (to map boxes back). The data is a copy: it outlives the session.
 * @param resize the image adapter's resize mode @default its default ('cv2-linear')
 */
export async function yolov8nOutputs(
  session: ort.InferenceSession,
  file: string,
  resize?: ResizeMode,
): Promise<{ outputs: TensorMap; plan: LetterboxPlan }> {
  const image = await createSharpDecoder(resize ? { resize } : {}).decode(readFileSync(file), (source) => planLetterbox(source));
  const { target } = image.plan;
  const input = new Float32Array(3 * target.width * target.height);
  normalizeInto(image.pixels, target, input, 0);
  const out = (await session.run({ images: new ort.Tensor('float32', input, [1, 3, target.height, target.width]) })).output0!;
  return { outputs: { output0: { dtype: 'float32', dims: out.dims, data: (out.data as Float32Array).slice() } }, plan: image.plan };
}
