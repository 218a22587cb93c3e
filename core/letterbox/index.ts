export { DEFAULT_LETTERBOX } from './defaults.js';
export { planLetterbox } from './plan.js';
export { toSourceBoxes } from './boxes.js';
export type { LetterboxOptions, LetterboxPlan, Padding } from './types.js';
