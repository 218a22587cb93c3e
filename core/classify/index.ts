export { classScores, DEFAULT_TOP_K, MAX_TOP_K, parseTopK, softmax, topK } from './classify.js';
export type { Classification, ClassifierOutputKind } from './classify.js';
