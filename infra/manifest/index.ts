export { adaptManifestToModel } from './adapt-to-model.js';
export { crossCheckManifest } from './cross-check.js';
export { defaultManifestForOnnx, loadManifest } from './load-manifest.js';
export { parseManifest, resolveSource } from './parse-manifest.js';
export { manifestSchema } from './schema.js';
export type { CrossCheckResult, ModelManifest } from './types.js';
