/**
 * @module test/e2e/emulation
 * Local emulation of a detectfn deployment (image, S3, container, events), used by
 * `npm run emulate` and test/e2e/emulation.test.ts.
 */
export { runEmulation, type EmulationOptions, type EmulationReport } from './run-emulation.js';
export { formatReport } from './format-report.js';
export { compareDetections, BOX_TOLERANCE_PX, SCORE_TOLERANCE } from '../../helpers/reference-detections.js';
export { coldStartFromMetrics, readyLine } from './cold-start.js';
export { createCleanup, type Cleanup } from './cleanup.js';
export { docker, ensureDockerDaemon, type DockerDaemon } from './docker.js';
