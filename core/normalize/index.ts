export { DEFAULT_NORMALIZE } from './types.js';
export type { ChannelOrder, NormalizeDType, NormalizeOptions, NormalizeRoute } from './types.js';
export { createNormalizer } from './normalizer.js';
export type { Normalizer, NormalizerOptions } from './normalizer.js';
export { normalizeInto } from './normalize-into.js';
export { planNormalize } from './plan.js';
export { toHalfBits } from './half.js';
export { fromHalfBits } from './half.js';
