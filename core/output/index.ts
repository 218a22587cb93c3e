export { toDetections } from './detections.js';
export { toPaddedTensors } from './padded.js';
export type { PaddedDetections } from './padded.js';
