/**
 * Where the read-only test data lives: DETECTFN_SHARED, default ../shared beside the repo.
 * Never copied into the repo (AGPL weights, COCO images).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DIR = path.resolve(repoRoot, process.env.DETECTFN_SHARED ?? '../shared');

export function sharedPath(...parts: string[]): string {
  const p = path.join(SHARED_DIR, ...parts);
  if (!existsSync(p)) {
    throw new Error(`test data ${p} is missing: set DETECTFN_SHARED to the shared data folder (default ../shared)`);
  }
  return p;
}

export const MODELS = {
  yolov8n: () => sharedPath('data/models/yolov8n.onnx'),
  yolov8nFp16: () => sharedPath('data/models/yolov8n-fp16.onnx'),
  yolov8nInt8: () => sharedPath('data/models/yolov8n-int8.onnx'),
  yolo26n: () => sharedPath('data/models/yolo26n.onnx'),
  nanodet: () => sharedPath('data/models/nanodet-m.onnx'),
};

export const IMAGES = {
  bus: () => sharedPath('data/images/bus.jpg'),
  zidane: () => sharedPath('data/images/zidane.jpg'),
};

export const REFERENCE = {
  samples: () => sharedPath('data/reference/yolov8n-predict-samples.json'),
  predictCoco128: () => sharedPath('data/reference/yolov8n-predict-coco128.json'),
  valCoco128: () => sharedPath('data/reference/yolov8n-val-coco128.json'),
};

export const COCO128 = {
  images: () => sharedPath('data/coco128/images'),
  labels: () => sharedPath('data/coco128/labels'),
  classes: () => sharedPath('data/coco128/classes.yaml'),
};

export { repoRoot };
