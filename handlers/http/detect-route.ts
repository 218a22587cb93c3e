/**
 * @module handlers/http/detect-route
 * `POST /v1/models/:model/detect`: body cap -> model lookup (404/503 from the registry) ->
 * images and parameters -> the images admitted all or none and detected together (they share
 * micro-batches) under one deadline -> JSON, padded tensors, or a rendered JPEG. Parse, call,
 * shape: nothing else. `POST /v1/models/:model/classify` is the same for a classifier, with
 * `top_k`; each route refuses the other task's models (WRONG_TASK) naming the route to use.
 */
import { parseTopK } from '../../core/classify/index.js';
import { DetectError } from '../../core/errors/index.js';
import { invalidParameterError } from '../../core/validate/index.js';
import type { ModelService } from '../../infra/runtime/model-service.js';
import { wrongTaskError } from '../../infra/runtime/index.js';
import { renderDetections } from '../../infra/image/index.js';
import { imageBodyCap } from './body-cap.js';
import { classifyJson, detectJson, maxTimings, serverTiming } from './detect-response.js';
import { parseDetectParams } from './detect-params.js';
import { readImageBody } from './image-body.js';
import { paddedJson } from './padded.js';
import { requestContext, withDeadline } from './request-context.js';
import type { App, AppDeps } from './types.js';

const ROUTE = { detect: 'detect', classify: 'classify' } as const;

/** Refuses a model of the other task before the body is read, naming the route that serves it. */
function expectTask(model: ModelService, want: 'detect' | 'classify'): void {
  const { name, task } = model.describe();
  if (task === want) return;
  const route = `/v1/models/${name}/${ROUTE[task]}`;
  throw wrongTaskError(name, task, want, `POST ${route}`, { route });
}

/** top_k (or topK) only: any other name is a typo or a detect parameter, and refused. */
function parseClassifyParams(fields: Record<string, unknown>): { topK: number } {
  for (const name of Object.keys(fields)) {
    if (name !== 'top_k' && name !== 'topK') throw invalidParameterError('parameter name', 'top_k', name);
  }
  return { topK: parseTopK(fields.top_k ?? fields.topK) };
}

export function detectRoutes(app: App, deps: AppDeps): void {
  const { config, registry } = deps;
  const limit = imageBodyCap(config);

  app.post('/v1/models/:model/detect', limit, async (c) => {
    const ctx = requestContext(c.get('requestId'), config.DETECTFN_REQUEST_TIMEOUT_MS, c.req.raw.signal);
    const model = registry.get(c.req.param('model'));
    expectTask(model, 'detect');
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
  app.post('/v1/models/:model/classify', limit, async (c) => {
    const ctx = requestContext(c.get('requestId'), config.DETECTFN_REQUEST_TIMEOUT_MS, c.req.raw.signal);
    const model = registry.get(c.req.param('model'));
    expectTask(model, 'classify');
    const body = await readImageBody(c.req.raw);
    const params = parseClassifyParams({ ...c.req.query(), ...body.fields });
    const results = await withDeadline(model.classifyMany(body.images, params, ctx), ctx);
    c.header('Server-Timing', serverTiming(maxTimings(results)));
    return c.json(classifyJson(results, body.list));
  });
}
