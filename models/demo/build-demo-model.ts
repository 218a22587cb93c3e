/**
 * @module models/demo/build-demo-model
 * Entry point (scripts/build.mjs bundles it and calls buildDemoModelFile): generates the demo
 * detector from code, so the project has a model with no downloaded weights and no licence
 * strings attached. Metadata follows Ultralytics' keys so the manifest cross-check and
 * `labels: "metadata"` work exactly as for an exported YOLOv8 model.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { model } from '../../infra/onnx/index.js';
import { demoGraph } from './demo-graph.js';
import { DEMO_CLASSES, DEMO_SPEC } from './demo-spec.js';

export function demoMetadata(): Record<string, string> {
  const names = DEMO_CLASSES.map((c, i) => `${i}: '${c.name}'`).join(', ');
  return {
    description: 'detectfn demo detector: solid red, green, blue and yellow shapes',
    author: 'detectfn',
    license: 'Apache-2.0',
    stride: String(DEMO_SPEC.stride),
    task: 'detect',
    batch: '1',
    imgsz: `[${DEMO_SPEC.size}, ${DEMO_SPEC.size}]`,
    names: `{${names}}`,
    end2end: 'False',
  };
}

/** The demo model's ONNX bytes; identical on every call. */
export function buildDemoModel(): Uint8Array {
  return model(demoGraph(demoMetadata()));
}

/** Writes the demo model and returns the path written. */
export async function buildDemoModelFile(outPath = 'models/demo/demo.onnx'): Promise<string> {
  await mkdir(path.dirname(outPath), { recursive: true });
  await writeFile(outPath, buildDemoModel());
  return outPath;
}
