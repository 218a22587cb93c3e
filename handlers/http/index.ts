/**
 * @module handlers/http
 * The pieces of the HTTP function, for other route groups (KServe v2) and adapters.
 */
export { accessLog } from './access-log.js';
export { bearerAuth, loadApiKeys, OPEN_PATHS } from './auth.js';
export { detectRoutes } from './detect-route.js';
export { detectJson, serverTiming, TIMING_STAGES } from './detect-response.js';
export { parseDetectParams, RESPONSE_FORMATS } from './detect-params.js';
export type { DetectParams, ResponseFormat } from './detect-params.js';
export { errorResponse, notFound, onError } from './error-handler.js';
export { healthRoutes, notReadyError, notReadyModels } from './health-routes.js';
export { MAX_IMAGES_PER_REQUEST, RAW_IMAGE_TYPES, readImageBody } from './image-body.js';
export type { ImageBody } from './image-body.js';
export { modelRoutes } from './model-routes.js';
export { requestContext, withDeadline } from './request-context.js';
export { REQUEST_ID_HEADER, requestId } from './request-id.js';
export type { App, AppDeps, AppEnv, AppOptions, AppVariables, RouteGroup } from './types.js';
export { preprocessRoutes } from './preprocess-route.js';
