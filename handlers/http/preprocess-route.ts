/**
 * @module handlers/http/preprocess-route
 * `POST /v1/models/:model/preprocess`: the inspector. Same body forms and cap as detect, one
 * image; answers the exact model input for it without running the model: JSON (plan, steps in
 * order, per-channel min/max/mean/std of the tensor the engine receives, timings) or, with
 * `?view=png`, that tensor turned back into an 8-bit image (core/preprocess/view).
 */
import { DetectError } from '../../core/errors/index.js';
import { tensorToRgb } from '../../core/preprocess/index.js';
import { encodeRgbPng } from '../../infra/image/index.js';
import { imageBodyCap } from './body-cap.js';
import { readImageBody } from './image-body.js';
import { requestContext, withDeadline } from './request-context.js';
import type { App, AppDeps } from './types.js';

const VIEWS = ['json', 'png'];
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function preprocessRoutes(app: App, deps: AppDeps): void {
  const { config, registry } = deps;
  app.post('/v1/models/:model/preprocess', imageBodyCap(config), async (c) => {
    const ctx = requestContext(c.get('requestId'), config.DETECTFN_REQUEST_TIMEOUT_MS, c.req.raw.signal);
    const model = registry.get(c.req.param('model'));
    const view = c.req.query('view') ?? 'json';
    if (!VIEWS.includes(view)) throw new DetectError('INVALID_ARGUMENT', `view must be json or png, got ${JSON.stringify(view)}`, { details: { field: 'view' } });
    const body = await readImageBody(c.req.raw);
    if (body.images.length !== 1) {
      throw new DetectError('INVALID_ARGUMENT', `preprocess takes exactly one image, got ${body.images.length}`, { details: { field: 'images' } });
    }
    const r = await withDeadline(model.preprocess(body.images[0]!, ctx), ctx);
    if (view === 'png') {
      const rgb = tensorToRgb(r.tensor.data, r.tensor.shape, r.inverse);
      const png = await encodeRgbPng(rgb.pixels, rgb.width, rgb.height);
      return c.body(png as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/png' });
    }
    const { name, dtype, shape, channels } = r.tensor;
    return c.json({
      model: r.model,
      version: r.version,
      plan: r.plan,
      steps: r.steps,
      tensor: { name, dtype, shape, channels },
      timings: { decode: round3(r.timings.decode), preprocess: round3(r.timings.preprocess) },
    });
  });
}
