export { createMetrics } from './metrics.js';
export type { Metrics } from './metrics.js';
export { createModelStats } from './model-stats.js';
export type { BatchSizeStats, Duration, ExecutionTimings, ModelStatsRecorder, ModelStatsSnapshot, RequestTimings } from './model-stats.js';
export type { ModelLabels } from './triton-counters.js';
