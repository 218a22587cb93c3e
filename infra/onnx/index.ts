export { model, initializer, node, valueInfo } from './graph-builder.js';
export type { AttrValue, InitializerDType, ModelSpec, NodeSpec, TensorSpec, ValueInfoSpec } from './graph-builder.js';
export { readModelInfo } from './read-model-info.js';
export { expectInGraphInput, preprocessInGraph } from './preprocess-graph.js';
export { parseUltralyticsMetadata } from './ultralytics-metadata.js';
export { parsePythonLiteral } from './python-literal.js';
export type { PyValue } from './python-literal.js';
export type { ModelInfo, UltralyticsMetadata } from './types.js';
