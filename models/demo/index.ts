export { buildDemoModel, buildDemoModelFile, demoMetadata } from './build-demo-model.js';
export { DEMO_ANCHORS, DEMO_CLASSES, DEMO_SPEC } from './demo-spec.js';
export type { DemoClass } from './demo-spec.js';
