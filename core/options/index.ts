export { DEFAULT_DETECT_OPTIONS } from './detect-options.js';
export type { DetectOptions } from './detect-options.js';
export { parseDetectOptions } from './parse-detect-options.js';
