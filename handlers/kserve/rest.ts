/**
 * @module handlers/kserve/rest
 * `kserveRoutes`: the Open Inference Protocol (KServe v2) REST endpoints, mounted by createApp.
 * They live in their own Hono app under /v2 so that errors take the protocol's
 * `{"error": "..."}` shape; request ids, auth and access logs still come from the main app's
 * middleware. Everything the protocol means is elsewhere and shared with gRPC: the wire format in
 * codec.ts, the inference steps in infer.ts, the metadata and Triton views in triton.ts; this
 * file is the HTTP framing only (body cap, Content-Encoding, the binary-data header, gzip answers).
 */
import { bodyLimit } from 'hono/body-limit';
import { compress, COMPRESSIBLE_CONTENT_TYPE_REGEX } from 'hono/compress';
import { type Context, Hono } from 'hono';
import pkg from '../../package.json' with { type: 'json' };
import { DetectError } from '../../core/errors.js';
import { parseBoolean } from '../../core/options.js';
import { type ModelService, requestContext } from '../../infra/model/registry.js';
import { type App, type AppDeps, type AppEnv, errorResponse, kserveErrorBody } from '../http/middleware.js';
import { notReadyError } from '../http/health.js';
import { decodeContentEncoding, decodeInputs, encodeInferResponse, HEADER_LENGTH_HEADER, splitInferBody } from './codec.js';
import { findModel, modelNotReady, planInfer, runInfer } from './infer.js';
import { modelConfig, modelMetadata, modelStatistics, repositoryIndex, serverMetadata } from './triton.js';

const MODEL = '/models/:model{[^/]+}';
const VERSIONED = `${MODEL}/versions/:version{[^/]+}`;

function lookup(c: Context<AppEnv>, deps: AppDeps): ModelService {
  return findModel(deps.registry, c.req.param('model') as string, c.req.param('version'));
}

/** The repository index request's optional `{"ready": true}` (only the ready models); the flag is read by parseBoolean, as every boolean. */
async function readyOnly(c: Context<AppEnv>): Promise<boolean> {
  const text = await c.req.text();
  if (text.trim() === '') return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DetectError('INVALID_ARGUMENT', `repository index request is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const ready = (parsed as { ready?: unknown } | null)?.ready;
  return ready === undefined ? false : parseBoolean('ready', ready);
}

export function kserveRoutes(app: App, deps: AppDeps): void {
  const { config, logger } = deps;
  const v2 = new Hono<AppEnv>();
  // The shared error handler maps and logs; only the body differs.
  v2.onError((err, c) => errorResponse(c, err, logger, kserveErrorBody));
  const maxBody = config.DETECTFN_V2_MAX_BODY_BYTES;
  const limit = bodyLimit({
    maxSize: maxBody,
    onError: () => {
      throw new DetectError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBody} bytes (DETECTFN_V2_MAX_BODY_BYTES)`);
    },
  });
  // Accept-Encoding: gzip/deflate answers, binary tensor responses included.
  v2.use(compress({ contentTypeFilter: (type) => COMPRESSIBLE_CONTENT_TYPE_REGEX.test(type) || type.startsWith('application/octet-stream') }));

  v2.get('/', (c) => c.json(serverMetadata(pkg.version)));
  v2.get('/health/live', (c) => c.json({ live: true }));
  v2.get('/health/ready', (c) => {
    if (!deps.registry.allReady()) throw notReadyError(deps);
    return c.json({ ready: true });
  });
  // Before the model routes: `stats` is not a model name here.
  v2.get('/models/stats', (c) => c.json({ model_stats: deps.registry.list().map((m) => modelStatistics(m.describe(), m.stats())) }));
  v2.post('/repository/index', limit, async (c) => c.json(repositoryIndex(deps.registry.status(), await readyOnly(c))));
  for (const base of [MODEL, VERSIONED]) {
    v2.get(base, (c) => c.json(modelMetadata(lookup(c, deps).describe())));
    v2.get(`${base}/config`, (c) => c.json(modelConfig(lookup(c, deps).describe())));
    v2.get(`${base}/stats`, (c) => {
      const model = lookup(c, deps);
      return c.json({ model_stats: [modelStatistics(model.describe(), model.stats())] });
    });
    v2.get(`${base}/ready`, (c) => {
      const model = lookup(c, deps);
      const notReady = modelNotReady(model);
      if (notReady) throw notReady;
      return c.json({ name: model.describe().name, ready: true });
    });
    v2.post(`${base}/infer`, limit, async (c) => {
      const arrival = performance.now();
      const reqId = c.get('requestId');
      const model = lookup(c, deps);
      const d = model.describe();
      const wire = new Uint8Array(await c.req.arrayBuffer());
      const body = await decodeContentEncoding(wire, c.req.header('Content-Encoding'), maxBody);
      if (body.byteLength === 0) throw new DetectError('EMPTY_BODY', 'inference request body is empty');
      const { request, binary } = splitInferBody(body, c.req.header(HEADER_LENGTH_HEADER));
      const plan = planInfer(request, d);
      if (plan.ignored.length > 0) logger.debug({ reqId, model: d.name, ignored: plan.ignored }, 'kserve: unknown request parameters ignored');
      const serverCtx = requestContext(reqId, config.DETECTFN_REQUEST_TIMEOUT_MS, c.req.raw.signal, arrival);
      const outputs = await runInfer(model, plan, decodeInputs(request, binary), serverCtx, arrival);
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
