/**
 * @module handlers/http/kserve/routes
 * `kserveRoutes`: the Open Inference Protocol (KServe v2) REST endpoints as a RouteGroup for
 * createApp's `extraRoutes`. They live in their own Hono app mounted at /v2 so that errors
 * take the protocol's `{"error": "..."}` shape; request ids, auth and access logs still come
 * from the main app's middleware.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import pkg from '../../../package.json' with { type: 'json' };
import { DetectError } from '../../../core/errors/index.js';
import type { ModelService } from '../../../infra/runtime/model-service.js';
import { notReadyError } from '../health-routes.js';
import { requestContext, withClientTimeout, withDeadline } from '../request-context.js';
import type { App, AppDeps, AppEnv } from '../types.js';
import { kserveOnError } from './errors.js';
import { findModel, modelNotReady } from './model-lookup.js';
import { modelMetadata, serverMetadata } from './metadata.js';
import { buildOutputs } from './outputs.js';
import { parseInferParams } from './params.js';
import { decodeInputs, splitInferBody } from './request-codec.js';
import { encodeInferResponse } from './response-codec.js';
import { runInputs } from './run-inputs.js';
import { HEADER_LENGTH_HEADER } from './wire-types.js';

const MODEL = '/models/:model{[^/]+}';
const VERSIONED = `${MODEL}/versions/:version{[^/]+}`;

function lookup(c: Context<AppEnv>, deps: AppDeps): ModelService {
  return findModel(deps.registry, c.req.param('model') as string, c.req.param('version'));
}

export function kserveRoutes(app: App, deps: AppDeps): void {
  const { config } = deps;
  const v2 = new Hono<AppEnv>();
  v2.onError(kserveOnError(deps.logger));
  const limit = bodyLimit({
    maxSize: config.DETECTFN_MAX_BODY_BYTES,
    onError: () => {
      throw new DetectError('PAYLOAD_TOO_LARGE', `request body exceeds ${config.DETECTFN_MAX_BODY_BYTES} bytes`);
    },
  });

  v2.get('/', (c) => c.json(serverMetadata(pkg.version)));
  v2.get('/health/live', (c) => c.json({ live: true }));
  v2.get('/health/ready', (c) => {
    if (!deps.registry.allReady()) throw notReadyError(deps);
    return c.json({ ready: true });
  });
  for (const base of [MODEL, VERSIONED]) {
    v2.get(base, (c) => c.json(modelMetadata(lookup(c, deps).describe())));
    v2.get(`${base}/ready`, (c) => {
      const model = lookup(c, deps);
      const notReady = modelNotReady(model);
      if (notReady) throw notReady;
      return c.json({ name: model.describe().name, ready: true });
    });
    v2.post(`${base}/infer`, limit, async (c) => {
      const arrival = performance.now();
      const serverCtx = requestContext(c.get('requestId'), config.DETECTFN_REQUEST_TIMEOUT_MS, c.req.raw.signal, arrival);
      const model = lookup(c, deps);
      const d = model.describe();
      const body = new Uint8Array(await c.req.arrayBuffer());
      if (body.byteLength === 0) throw new DetectError('EMPTY_BODY', 'inference request body is empty');
      const { request, binary } = splitInferBody(body, c.req.header(HEADER_LENGTH_HEADER));
      const params = parseInferParams(request.parameters, d.defaults);
      const ctx = params.timeoutUs > 0 ? withClientTimeout(serverCtx, params.timeoutUs / 1000, arrival) : serverCtx;
      const inputs = decodeInputs(request, binary);
      const results = await withDeadline(runInputs(inputs, model, params.options, ctx), ctx);
      const outputs = buildOutputs(results, params.options.maxDet, request.outputs, params.binaryDataOutput);
      const head = { model_name: d.name, model_version: d.version, ...(request.id !== undefined ? { id: request.id } : {}) };
      const encoded = encodeInferResponse(head, outputs);
      if (encoded.headerLength !== undefined) c.header(HEADER_LENGTH_HEADER, String(encoded.headerLength));
      return c.body(encoded.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': encoded.contentType });
    });
  }
  // Unknown /v2 paths answer in the protocol's error shape too.
  v2.all('*', (c) => {
    throw new DetectError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`);
  });
  app.route('/v2', v2);
}
