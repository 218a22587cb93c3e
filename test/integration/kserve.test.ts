/**
 * The KServe v2 / Open Inference Protocol routes end to end: the real server (startServer with
 * kserveRoutes mounted) on 127.0.0.1:0, the real demo model, real sockets. Responses are read
 * here by hand (not with our codec) so a framing bug cannot cancel itself out.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { COLORS, drawShapes, type Shape, shapeBox } from '../../models/demo/demo-model.js';
import { capturingLogger } from '../helpers/capture-logger.js';
import { repoRoot } from '../helpers/shared-data.js';
import { type Box, type DrawnShape, shapeImage } from '../helpers/shape-images.js';

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
const DEMO = path.join(repoRoot, 'models/demo.json');
const CLASS = { red: 0, green: 1, blue: 2, yellow: 3 } as const;
let srv: RunningServer, model: string, version: string;

beforeAll(async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  const { logger } = capturingLogger();
  srv = await startServer({ env: {}, logger, config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [DEMO] } });
  await srv.ready;
  model = srv.registry.names()[0]!;
  version = srv.registry.get(model).describe().version;
});
afterAll(async () => srv?.close());

const get = (p: string) => fetch(`${srv.url}${p}`);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON, checked field by field below
const jsonOf = async (r: Response): Promise<any> => r.json();
const infer = (body: RequestInit['body'], headers: Record<string, string> = {}, m = model) =>
  fetch(`${srv.url}/v2/models/${m}/infer`, { method: 'POST', body, headers });
const u32le = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** Splits a response the way tritonclient's InferResult does. */
async function readResult(res: Response) {
  const body = new Uint8Array(await res.arrayBuffer());
  const len = res.headers.get('Inference-Header-Content-Length');
  const end = len === null ? body.byteLength : Number(len);
  const json = JSON.parse(Buffer.from(body.subarray(0, end)).toString('utf8'));
  const tensors: Record<string, { shape: number[]; datatype: string; values: number[] }> = {};
  let at = end;
  for (const o of json.outputs) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) {
      tensors[o.name] = { shape: o.shape, datatype: o.datatype, values: o.data };
      continue;
    }
    const raw = body.slice(at, at + size).buffer;
    at += size;
    tensors[o.name] = { shape: o.shape, datatype: o.datatype, values: Array.from(o.datatype === 'FP32' ? new Float32Array(raw) : new Int32Array(raw)) };
  }
  expect(at).toBe(body.byteLength);
  return { json, tensors };
}

function detectionsOf(t: Awaited<ReturnType<typeof readResult>>['tensors'], item: number) {
  const maxDet = t.det_scores.shape[1]!;
  return Array.from({ length: t.num_dets.values[item]! }, (_, k) => ({
    box: t.det_boxes.values.slice((item * maxDet + k) * 4, (item * maxDet + k + 1) * 4) as Box,
    score: t.det_scores.values[item * maxDet + k]!,
    classId: t.det_classes.values[item * maxDet + k]!,
  }));
}

function expectShapes(dets: ReturnType<typeof detectionsOf>, shapes: { label: keyof typeof CLASS; box: Box }[], tol: number) {
  expect(dets.map((d) => d.classId).sort()).toEqual(shapes.map((s) => CLASS[s.label]).sort());
  for (const s of shapes) {
    const d = dets.find((x) => x.classId === CLASS[s.label])!;
    d.box.forEach((v, i) => expect(Math.abs(v - s.box[i]!), `${s.label} coord ${i}: ${d.box} vs ${s.box}`).toBeLessThanOrEqual(tol));
  }
}

const IMG_A: [number, number, DrawnShape[]] = [640, 480, [{ kind: 'rect', label: 'red', box: [60, 50, 260, 200] }, { kind: 'circle', label: 'blue', box: [380, 220, 560, 400] }]];
const IMG_B: [number, number, DrawnShape[]] = [300, 800, [{ kind: 'rect', label: 'yellow', box: [20, 40, 140, 300] }]];

describe('metadata and health', () => {
  it('serves server metadata, liveness and readiness', async () => {
    const meta = await jsonOf(await get('/v2'));
    expect(meta).toEqual({ name: 'detectfn', version: expect.any(String), extensions: ['binary_tensor_data', 'model_configuration', 'statistics'] });
    expect((await get('/v2/health/live')).status).toBe(200);
    expect((await get('/v2/health/ready')).status).toBe(200);
  });
  it('describes the model with both inputs and the EfficientNMS outputs', async () => {
    for (const p of [`/v2/models/${model}`, `/v2/models/${model}/versions/${version}`]) {
      const res = await get(p);
      expect(res.status).toBe(200);
      const m = await jsonOf(res);
      expect(m).toMatchObject({ name: model, versions: [version], platform: 'onnxruntime_onnx' });
      expect(m.inputs).toEqual([
        { name: 'image', datatype: 'BYTES', shape: [-1] },
        { name: 'images', datatype: 'FP32', shape: [-1, 3, 320, 320] },
      ]);
      expect(m.outputs.map((o: { name: string; datatype: string }) => `${o.name}:${o.datatype}`)).toEqual(['num_dets:INT32', 'det_boxes:FP32', 'det_scores:FP32', 'det_classes:INT32']);
    }
    expect((await get(`/v2/models/${model}/ready`)).status).toBe(200);
    expect((await get(`/v2/models/${model}/versions/${version}/ready`)).status).toBe(200);
  });
  it('answers unknown models, versions and paths with 404 {"error": "..."}', async () => {
    for (const p of ['/v2/models/nope', `/v2/models/${model}/versions/999/ready`, '/v2/whatever']) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      const body = await jsonOf(res);
      expect(Object.keys(body)).toEqual(['error']);
      expect(typeof body.error).toBe('string');
    }
  });
});

describe('POST /v2/models/{m}/infer', () => {
  it('takes BYTES images as JSON (base64) and answers JSON tensors with the id echoed', async () => {
    const imgs = await Promise.all([shapeImage(...IMG_A, 'png'), shapeImage(...IMG_B, 'jpeg')]);
    const body = {
      id: 'req-42',
      parameters: { conf: 0.3, max_det: 10 },
      inputs: [{ name: 'image', shape: [2], datatype: 'BYTES', data: imgs.map((b, i) => (i === 0 ? Buffer.from(b).toString('base64') : { b64: Buffer.from(b).toString('base64') })) }],
    };
    const res = await infer(JSON.stringify(body), { 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('Inference-Header-Content-Length')).toBeNull();
    const { json, tensors } = await readResult(res);
    expect(json).toMatchObject({ model_name: model, model_version: version, id: 'req-42' });
    expect(tensors.num_dets).toMatchObject({ shape: [2], datatype: 'INT32', values: [2, 1] });
    expect(tensors.det_boxes.shape).toEqual([2, 10, 4]);
    expect(tensors.det_scores.shape).toEqual([2, 10]);
    expect(tensors.det_classes.values.slice(10, 20).filter((c) => c === -1 || c === 0).length).toBeGreaterThan(0);
    expectShapes(detectionsOf(tensors, 0), IMG_A[2], 5);
    expectShapes(detectionsOf(tensors, 1), IMG_B[2], 6);
  });

  it('accepts a request laid out byte for byte as tritonclient.http builds it (binary in and out)', async () => {
    const img = await shapeImage(...IMG_A, 'jpeg');
    // InferInput('image', [1], 'BYTES').set_data_from_numpy(np.array([img], dtype=object)),
    // no outputs given -> parameters.binary_data_output = True; json.dumps default separators.
    const serialized = cat(u32le(img.byteLength), img);
    const header = `{"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": ${serialized.byteLength}}}], "parameters": {"binary_data_output": true}}`;
    const res = await infer(cat(Buffer.from(header), serialized), { 'Inference-Header-Content-Length': String(Buffer.byteLength(header)) });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('application/octet-stream');
    const { json, tensors } = await readResult(res);
    expect(json.outputs.every((o: { parameters?: { binary_data_size?: number } }) => typeof o.parameters?.binary_data_size === 'number')).toBe(true);
    expect(tensors.det_boxes.shape).toEqual([1, 300, 4]);
    expectShapes(detectionsOf(tensors, 0), IMG_A[2], 5);
  });

  it('runs a preprocessed FP32 [N,3,H,W] tensor per item (binary), boxes in input pixels', async () => {
    const shapes: Shape[][] = [
      [{ kind: 'rect', x1: 40, y1: 40, x2: 140, y2: 120, color: COLORS.green }],
      [{ kind: 'ellipse', cx: 200, cy: 200, rx: 60, ry: 40, color: COLORS.red }, { kind: 'rect', x1: 10, y1: 200, x2: 90, y2: 300, color: COLORS.blue }],
    ];
    const data = cat(...shapes.map((s) => new Uint8Array(drawShapes(320, COLORS.white, s).buffer)));
    const header = JSON.stringify({
      inputs: [{ name: 'images', shape: [2, 3, 320, 320], datatype: 'FP32', parameters: { binary_data_size: data.byteLength } }],
      outputs: [{ name: 'num_dets' }, { name: 'det_boxes', parameters: { binary_data: true } }, { name: 'det_classes' }, { name: 'det_scores', parameters: { binary_data: true } }],
    });
    const res = await infer(cat(Buffer.from(header), data), { 'Inference-Header-Content-Length': String(Buffer.byteLength(header)) });
    expect(res.status).toBe(200);
    const { json, tensors } = await readResult(res);
    expect(json.outputs.map((o: { name: string; data?: unknown }) => [o.name, o.data === undefined])).toEqual([
      ['num_dets', false], ['det_boxes', true], ['det_classes', false], ['det_scores', true],
    ]);
    const label = (c: readonly number[]) => (c[0] === 1 ? 'red' : c[2] === 1 ? 'blue' : 'green');
    shapes.forEach((s, i) => expectShapes(detectionsOf(tensors, i), s.map((x) => ({ label: label(x.color), box: shapeBox(x) })), 3));
  });

  it('takes an FP32 tensor as JSON data too', async () => {
    const shapes: Shape[] = [{ kind: 'rect', x1: 100, y1: 60, x2: 220, y2: 160, color: COLORS.yellow }];
    const body = JSON.stringify({ inputs: [{ name: 'images', shape: [1, 3, 320, 320], datatype: 'FP32', data: Array.from(drawShapes(320, COLORS.white, shapes)) }] });
    const res = await infer(body, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
    expectShapes(detectionsOf((await readResult(res)).tensors, 0), [{ label: 'yellow', box: shapeBox(shapes[0]!) }], 3);
  });

  const png = () => shapeImage(64, 64, [], 'png');
  const bytesInput = async (extra: object = {}) => JSON.stringify({ inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [Buffer.from(await png()).toString('base64')] }], ...extra });
  const ERRORS: [string, () => Promise<Response>, number, RegExp][] = [
    ['not JSON', async () => infer('{nope'), 400, /not valid JSON/],
    ['unknown model', async () => infer(await bytesInput(), {}, 'nope'), 404, /nope/],
    ['class_count (classification extension)', async () => infer(await bytesInput({ outputs: [{ name: 'det_classes', parameters: { class_count: 3 } }] })), 400, /outputs\[0\]\.parameters\.class_count: .*classification extension is not supported.*num_dets, det_boxes, det_scores, det_classes/],
    ['unknown input name', async () => infer(JSON.stringify({ inputs: [{ name: 'INPUT__0', shape: [1], datatype: 'BYTES', data: ['AAAA'] }] })), 400, /input 'INPUT__0' is not an input of model demo; send 'image' \(BYTES, one encoded image per element\) or 'images' \(FP32 \[N,3,320,320\]\)/],
    ['conf out of range', async () => infer(await bytesInput({ parameters: { conf: 3 } })), 400, /conf/],
    ['wrong tensor size', async () => infer(JSON.stringify({ inputs: [{ name: 'images', shape: [1, 3, 2, 2], datatype: 'FP32', data: new Array(12).fill(0) }] })), 400, /FP32 \[N,3,320,320\]/],
    ['two inputs', async () => infer(JSON.stringify({ inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [1] }, { name: 'b', shape: [1], datatype: 'FP32', data: [1] }] })), 400, /exactly one input/],
    ['unknown output', async () => infer(await bytesInput({ outputs: [{ name: 'boxes' }] })), 400, /unknown output 'boxes'/],
    ['binary_data that is not a boolean', async () => infer(await bytesInput({ outputs: [{ name: 'num_dets', parameters: { binary_data: 'yes' } }] })), 400, /Expected boolean .* for outputs\[0\]\.parameters\.binary_data but received "yes"/],
    ['header length past the body', async () => infer(await bytesInput(), { 'Inference-Header-Content-Length': '999999' }), 400, /Inference-Header-Content-Length/],
    ['not an image', async () => infer(JSON.stringify({ inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [Buffer.from('hello world').toString('base64')] }] })), 415, /.+/],
    ['empty body', async () => infer(new Uint8Array(0)), 400, /empty/],
  ];
  it.each(ERRORS)('answers %s with the spec error shape', async (_, send, status, message) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = await jsonOf(res);
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatch(message);
  });
});
