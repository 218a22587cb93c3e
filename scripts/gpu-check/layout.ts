/**
 * @module scripts/gpu-check/layout
 * What `npm run gpu-pack` writes and `scripts/gpu-check.sh` reads: one folder that travels to a
 * GPU machine with no network beside a copy of the tree (the device tool's `carry`, 64 MiB in
 * all with the tree). Both sides import these names, so they cannot drift apart.
 *
 * .gpu-pack/
 *   pack.json                     what is inside, sizes, where the inputs came from
 *   app/dist/gpu-check.js         launcher: stages app/ in a temp folder, imports gpu-check-run.js there
 *   app/dist/gpu-check-run.js     the check itself (measure, compare, report)
 *   app/dist/engine-worker.js     the project's own engine worker bundle
 *   app/node_modules/onnxruntime-{node,common}/  JS + linux-x64 binding; the 45 MB
 *                                 libonnxruntime.so.1 stored brotli-compressed (node inflates it)
 *   model/yolov8n.onnx            the model (../shared is not on the GPU machine)
 *   inputs/*.rgb.br + inputs.json bus.jpg and zidane.jpg letterboxed to 640x640 by the project's
 *                                 decoder here (sharp does not travel: libvips is 18 MB)
 *   node/node.xz                  this machine's node binary, for a GPU image without node
 *   vulkan/libvulkan.so.1         Debian's Vulkan loader (WebGPU's Dawn needs it; the GPU image may lack it)
 */
import type { LetterboxPlan } from '../../core/geometry.js';

export const PACK_DIR = '.gpu-pack';
/** The whole pack must stay under this, leaving room for the tree in the tool's 64 MiB. */
export const PACK_LIMIT_BYTES = 60 * 1024 * 1024;
export const ORT_BIN = 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64';
export const ORT_LIB = 'libonnxruntime.so.1';
export const BROTLI_SUFFIX = '.br';
export const MODEL_FILE = 'model/yolov8n.onnx';
export const INPUTS_FILE = 'inputs/inputs.json';
export const REPORT_NAME = 'gpu-check-report.json';

/** One letterboxed image in the pack: raw HWC RGB uint8 of target size, brotli-compressed. */
export interface PackedInput {
  readonly name: string;
  readonly file: string;
  readonly plan: LetterboxPlan;
}

export interface PackManifest {
  readonly createdAt: string;
  readonly totalBytes: number;
  readonly limitBytes: number;
  readonly files: Readonly<Record<string, number>>;
  readonly nodeVersion: string;
  readonly ortVersion: string;
  readonly inputs: readonly PackedInput[];
}
