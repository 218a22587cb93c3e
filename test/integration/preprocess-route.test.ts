/**
 * POST /v1/models/{m}/preprocess on the real server (startServer, real sockets) with the demo
 * model and yolov8n: the JSON describes the tensor the engine receives, checked against the
 * tensor a real Python pipeline (cv2 LetterBox + /255, np.save) produces for bus.jpg; ?view=png
 * gives back exactly OpenCV's letterboxed pixels; the model never runs; errors are typed and
 * logged with the request id.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelStats, parseNpy } from '../../core/inspect.js';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { type CapturedLog, capturingLogger } from '../helpers/capture-logger.js';
import { findCv2Python, runCv2Reference } from '../helpers/cv2-reference.js';
import { pythonReferenceTensors } from '../helpers/inspect-reference.js';
import { IMAGES, MODELS, repoRoot } from '../helpers/shared-data.js';

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
let server: RunningServer, log: CapturedLog;
const bus = readFileSync(IMAGES.bus());
let pythonTensor: string, cv2Letterbox: Uint8Array;

beforeAll(async () => {
  // References first: the Python runs take seconds, longer than the server's keep-alive timeout.
  const python = findCv2Python();
  if (!python) throw new Error('python3 with cv2 is required: run scripts/install-system-deps.sh');
  cv2Letterbox = runCv2Reference(python, 'letterbox', [IMAGES.bus()], 640)[0]!.pixels;
  pythonTensor = pythonReferenceTensors(IMAGES.bus(), 640).ok;
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detectfn-preprocess-'));
  const yolo = path.join(dir, 'yolov8n.json');
  writeFileSync(yolo, JSON.stringify({ name: 'yolov8n', source: { uri: MODELS.yolov8n() }, batching: { batchSizes: [1] } }));
  // /255 applied twice: 0-0.004 passes the 0-1 range check, but the model sees a black image.
  const twice = path.join(dir, 'demo-twice.json');
  writeFileSync(twice, JSON.stringify({ name: 'demo-twice', source: { uri: DEMO_ONNX }, input: { shape: ['batch', 3, 320, 320] }, preprocess: { scale: 1 / 65025 }, batching: { batchSizes: [1] } }));
  log = capturingLogger();
  server = await startServer({ env: {}, logger: log.logger, config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [path.join(repoRoot, 'models/demo.json'), yolo, twice] } });
  await server.ready;
});

afterAll(async () => {
  await server?.close();
});

const post = (model: string, body: Uint8Array | string, init: { query?: string; type?: string; headers?: Record<string, string> } = {}) =>
  fetch(`${server.url}/v1/models/${model}/preprocess${init.query ?? ''}`, {
    method: 'POST', body, headers: { 'content-type': init.type ?? 'image/jpeg', ...init.headers },
  });

type Inspect = {
  model: string; plan: Record<string, unknown>; steps: { step: string }[];
  tensor: { name: string; dtype: string; shape: number[]; channels: { min: number; max: number; mean: number; std: number }[] };
  timings: { decode: number; preprocess: number };
};

describe('POST /v1/models/{m}/preprocess', () => {
  it('describes the plan and steps and gives the stats of exactly the tensor the Python pipeline saves (yolov8n, bus.jpg)', async () => {
    const res = await post('yolov8n', bus);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Inspect;
    expect(body.plan).toEqual({
      kind: 'letterbox', source: { width: 810, height: 1080 }, scale: 640 / 1080, resized: { width: 480, height: 640 },
      padding: { left: 80, top: 0, right: 80, bottom: 0 }, padValue: 114, target: { width: 640, height: 640 },
    });
    expect(body.steps.map((s) => s.step)).toEqual(['decode', 'resize', 'pad', 'channels', 'scale', 'layout', 'dtype']);
    expect(body.steps[1]).toMatchObject({ kernel: 'cv2-linear' });
    expect(body.tensor).toMatchObject({ name: 'images', dtype: 'float32', shape: [1, 3, 640, 640] });
    // Bit-equal tensors give bit-equal stats (same summation order): the Python tensor through the same stats code.
    const ref = parseNpy(new Uint8Array(readFileSync(pythonTensor)));
    expect(body.tensor.channels).toEqual(channelStats(ref.data, [1, ...ref.dims]));
    expect(body.timings.decode).toBeGreaterThan(0);
  });

  it('takes the same body forms as detect: JSON base64 and multipart give the same answer', async () => {
    const raw = (await (await post('demo', bus)).json()) as Inspect;
    const json = (await (await post('demo', JSON.stringify({ image: bus.toString('base64') }), { type: 'application/json' })).json()) as Inspect;
    const form = new FormData();
    form.append('file', new Blob([bus], { type: 'image/jpeg' }), 'bus.jpg');
    const multipart = (await (await fetch(`${server.url}/v1/models/demo/preprocess`, { method: 'POST', body: form })).json()) as Inspect;
    expect(raw.tensor.shape).toEqual([1, 3, 320, 320]);
    expect(json.tensor).toEqual(raw.tensor);
    expect(multipart.tensor).toEqual(raw.tensor);
  });

  it('?view=png is the model input as an image: exactly OpenCV\'s letterbox of bus.jpg, grey padding included', async () => {
    const res = await post('yolov8n', bus, { query: '?view=png' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const { data, info } = await sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([640, 640, 3]);
    // A count, not toEqual: a deep compare of 1.2 M elements takes seconds, past the keep-alive timeout.
    expect(data.length).toBe(cv2Letterbox.length);
    expect(data.filter((v, i) => v !== cv2Letterbox[i]).length, 'pixels that differ from OpenCV').toBe(0);
    expect([...data.subarray(0, 3)]).toEqual([114, 114, 114]);
  });

  it('a tensor on the wrong scale shows as it reaches the model: /255 twice is a black view and max 1/255', async () => {
    const stats = (await (await post('demo-twice', bus)).json()) as Inspect;
    expect(Math.max(...stats.tensor.channels.map((c) => c.max))).toBeCloseTo(1 / 255, 8);
    const res = await post('demo-twice', bus, { query: '?view=png' });
    const data = await sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer();
    expect(data.reduce((m, v) => Math.max(m, v), 0)).toBeLessThanOrEqual(1);
  });

  it('does not run the model: no inference is counted', async () => {
    const before = (await (await fetch(`${server.url}/v2/models/demo/stats`)).json()) as { model_stats: { inference_count: number }[] };
    expect((await post('demo', bus)).status).toBe(200);
    const after = (await (await fetch(`${server.url}/v2/models/demo/stats`)).json()) as { model_stats: { inference_count: number }[] };
    expect(after.model_stats[0]!.inference_count).toBe(before.model_stats[0]!.inference_count);
  });

  it.each([
    ['two images', 'demo', () => JSON.stringify({ images: [bus.toString('base64'), bus.toString('base64')] }), 'application/json', '', 400, 'INVALID_ARGUMENT', /exactly one image, got 2/],
    ['an unknown view', 'demo', () => bus, 'image/jpeg', '?view=gif', 400, 'INVALID_ARGUMENT', /view must be json or png/],
    ['an unknown model', 'nope', () => bus, 'image/jpeg', '', 404, 'MODEL_NOT_FOUND', /nope/],
    ['bytes that are no image', 'demo', () => Buffer.from('not an image at all'), 'image/jpeg', '', 415, 'UNSUPPORTED_MEDIA_TYPE|UNDECODABLE_IMAGE', /./],
  ] as const)('%s: a typed error, logged with the request id', async (_, model, body, type, query, status, code, message) => {
    const res = await post(model, body(), { type, query, headers: { 'x-request-id': `inspect-${status}-${model}-${query}` } });
    expect(res.status).toBe(status);
    const err = ((await res.json()) as { error: { code: string; message: string } }).error;
    expect(err.code).toMatch(new RegExp(`^(${code})$`));
    expect(err.message).toMatch(message);
    const reqId = res.headers.get('x-request-id');
    expect(log.lines.some((l) => l.reqId === reqId && l.code === err.code)).toBe(true);
  });
});
