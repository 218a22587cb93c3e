export { DetectError, ERROR_STATUS, isDetectError, toDetectError } from './detect-error.js';
export type { DetectErrorOptions, ErrorCode } from './detect-error.js';
export { GRPC_STATUS } from './detect-error.js';
