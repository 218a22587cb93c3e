/**
 * @module handlers/http/detect-route
 * `POST /v1/models/:model/detect`: body cap -> model lookup (404/503 from the registry) ->
 * images and parameters -> the images admitted all or none and detected together (they share
 * micro-batches) under one deadline -> JSON, padded tensors, or a rendered JPEG. Parse, call,
 * shape: nothing else.
 */
import { DetectError } from '../../core/errors/index.js';
import { renderDetections } from '../../infra/image/index.js';
import { imageBodyCap } from './body-cap.js';
import { detectJson, maxTimings, serverTiming } from './detect-response.js';
import { parseDetectParams } from './detect-params.js';
import { readImageBody } from './image-body.js';
import { paddedJson } from './padded.js';
import { requestContext, withDeadline } from './request-context.js';
import type { App, AppDeps } from './types.js';

export function detectRoutes(app: App, deps: AppDeps): void {
  const { config, registry } = deps;
  const limit = imageBodyCap(config);

  app.post('/v1/models/:model/detect', limit, async (c) => {
    const ctx = requestContext(c.get('requestId'), config.DETECTFN_REQUEST_TIMEOUT_MS, c.req.raw.signal);
    const model = registry.get(c.req.param('model'));
    const body = await readImageBody(c.req.raw);
    const params = parseDetectParams({ ...c.req.query(), ...body.fields }, model.describe().defaults);
    if (params.render && (body.images.length !== 1 || params.format !== 'json')) {
      throw new DetectError('INVALID_ARGUMENT', 'render=true takes exactly one image and no format', { details: { field: 'render' } });
    }
    const results = await withDeadline(model.detectMany(body.images, params.options, ctx), ctx);
    c.header('Server-Timing', serverTiming(maxTimings(results)));
    if (params.render) {
      const jpeg = await withDeadline(renderDetections(body.images[0]!, results[0]!.detections, { maxInputPixels: config.DETECTFN_MAX_INPUT_PIXELS }), ctx);
      return c.body(jpeg as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/jpeg' });
    }
    if (params.format === 'padded') return c.json(paddedJson(results, params.options.maxDet));
    return c.json(detectJson(results, body.list));
  });
}
