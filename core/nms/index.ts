export { nms } from './nms.js';
export type { NmsOptions } from './nms.js';
export { sortByScore } from './sort-by-score.js';
