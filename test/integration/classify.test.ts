/**
 * Classifiers end to end: the generated colour classifiers (models/classify) served by the real
 * server (startServer) with real ORT worker threads, real sharp decode, real HTTP and gRPC.
 * `colours` has the right manifest (/255); `colours-noscale` is the same ONNX file served with
 * the HRNet mistake (scale 1); `colours-bgr` answers probabilities from BGR input and fits
 * with `resize: not_larger`; `demo` is a detector, for the task checks.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import { buildColourModelFiles } from '../../models/colour-classifier.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { capturingLogger } from '../helpers/capture-logger.js';
import { bytesInferRequest, grpcClients, type GrpcClients, unary } from '../helpers/grpc-client.js';
import { repoRoot } from '../helpers/shared-data.js';

type Cls = { classId: number; label: string; score: number };
const COLOURS_ONNX = path.join(repoRoot, 'models/classify/colours.onnx');
const BGR_ONNX = path.join(repoRoot, 'models/classify/colours-bgr.onnx');
const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
let srv: RunningServer, dir: string, grpc: GrpcClients;

/** Solid-colour JPEGs (every channel above 0, as in photos) and the class each must get. */
const SOLID = [['red', [200, 40, 40]], ['green', [40, 180, 40]], ['blue', [40, 40, 200]], ['neutral', [128, 128, 128]]] as const;
const images: Record<string, Uint8Array> = {};
const jpeg = (width: number, height: number, [r, g, b]: readonly number[]) =>
  sharp({ create: { width, height, channels: 3, background: { r: r!, g: g!, b: b! } } }).jpeg({ quality: 95 }).toBuffer();

beforeAll(async () => {
  if (!existsSync(COLOURS_ONNX) || !existsSync(BGR_ONNX)) await buildColourModelFiles(path.dirname(COLOURS_ONNX));
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  dir = mkdtempSync(path.join(tmpdir(), 'detectfn-classify-'));
  const write = (name: string, m: object) => {
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({ name, task: 'classify', labels: 'metadata', batching: { batchSizes: [1, 4] }, ...m }));
    return file;
  };
  // The HRNet deployment: no /255, and a manifest that claims the model takes 0-255 (without that
  // claim the start-up range check refuses it against the model's metadata: inspect-cli.test.ts).
  const noscale = write('colours-noscale', { source: { uri: COLOURS_ONNX }, input: { shape: ['batch', 3, 64, 64], range: [0, 255] }, preprocess: { scale: 1 }, output: { names: ['logits'] } });
  const bgr = write('colours-bgr', {
    source: { uri: BGR_ONNX }, input: { name: 'input', shape: ['batch', 3, 64, 64] },
    preprocess: { channelOrder: 'bgr', resize: { mode: 'not_larger' } }, output: { names: ['probabilities'], kind: 'probabilities' },
  });
  const models = [path.join(repoRoot, 'models/examples/colours.json'), noscale, bgr, path.join(repoRoot, 'models/demo.json')];
  srv = await startServer({ env: {}, logger: capturingLogger().logger, config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: models } });
  await srv.ready;
  grpc = grpcClients(srv.grpcPort!);
  for (const [name, rgb] of SOLID) images[name] = await jpeg(120, 90, rgb);
  // Red centre, blue sides (2/3 of the image): the centre crop must see red only.
  const red = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#c82828' } }).png().toBuffer();
  images.stripes = await sharp({ create: { width: 600, height: 200, channels: 3, background: '#2828c8' } }).composite([{ input: red, left: 200, top: 0 }]).png().toBuffer();
});

afterAll(async () => {
  grpc?.close();
  await srv?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (model: string, route: string, body: RequestInit['body'], query = '', type = 'image/jpeg') =>
  fetch(`${srv.url}/v1/models/${model}/${route}${query}`, { method: 'POST', body, headers: { 'Content-Type': type } });

async function classify(model: string, image: Uint8Array, query = ''): Promise<Cls[]> {
  const res = await post(model, 'classify', image, query);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { classes: Cls[] }).classes;
}

describe('POST /v1/models/{m}/classify', () => {
  it.each(SOLID)('answers %s for a solid %s image, top-k best first, probabilities summing to 1', async (want) => {
    const classes = await classify('colours', images[want]!, '?top_k=4');
    expect(classes[0]!.label).toBe(want);
    expect(classes.map((c) => c.classId).sort()).toEqual([0, 1, 2, 3]);
    for (let i = 1; i < classes.length; i++) expect(classes[i - 1]!.score).toBeGreaterThanOrEqual(classes[i]!.score);
    expect(classes.reduce((s, c) => s + c.score, 0)).toBeCloseTo(1, 5);
  });

  it('orders the whole top-k as the weights say: red, then neutral, green, blue', async () => {
    // Logits for (200, 40, 40)/255: neutral 0.5, red 3.98, green -2.99, blue -3.99 (models/classify).
    const classes = await classify('colours', images.red!, '?top_k=4');
    expect(classes.map((c) => c.label)).toEqual(['red', 'neutral', 'green', 'blue']);
    expect(classes[0]!.score).toBeCloseTo(Math.exp(3.98) / (Math.exp(0.5) + Math.exp(3.98) + Math.exp(-2.99) + Math.exp(-3.99)), 2);
    expect((await classify('colours', images.red!, '?top_k=2')).map((c) => c.label)).toEqual(['red', 'neutral']);
  });

  it('answers the response shape of detect: model, version, image (source size), classes, timings; top_k defaults to 5', async () => {
    const res = await post('colours', 'classify', images.green!);
    const body = (await res.json()) as { model: string; version: string; image: object; classes: Cls[]; timings: Record<string, number> };
    expect(body).toMatchObject({ model: 'colours', version: '1', image: { width: 120, height: 90 } });
    expect(body.classes).toHaveLength(4); // 5 asked, the model has 4 classes
    expect(Object.keys(body.timings)).toEqual(['decode', 'preprocess', 'queue', 'infer', 'postprocess', 'total']);
    expect(res.headers.get('Server-Timing')).toMatch(/^decode;dur=/);
  });

  it('centre-crops: the blue side bands of a 600x200 image fall outside the crop and it answers red', async () => {
    expect((await classify('colours', images.stripes!))[0]!.label).toBe('red');
  });

  it('classifies a list of images in request order (JSON images)', async () => {
    const body = JSON.stringify({ images: ['blue', 'red', 'neutral'].map((k) => Buffer.from(images[k]!).toString('base64')), top_k: 1 });
    const res = await post('colours', 'classify', body, '', 'application/json');
    const out = (await res.json()) as { results: { classes: Cls[] }[] };
    expect(out.results.map((r) => r.classes.map((c) => c.label))).toEqual([['blue'], ['red'], ['neutral']]);
  });

  it('the HRNet failure: served without the /255 it answers class 0 for every image (with it, four classes)', async () => {
    const names = [...SOLID.map(([n]) => n), 'stripes'];
    const wrong = await Promise.all(names.map(async (n) => (await classify('colours-noscale', images[n]!))[0]!.classId));
    const right = await Promise.all(names.map(async (n) => (await classify('colours', images[n]!))[0]!.classId));
    expect(wrong).toEqual([0, 0, 0, 0, 0]);
    expect(new Set(right).size).toBe(4);
  });

  it('BGR input, probabilities output and the not_larger fit give the same classes', async () => {
    for (const [want] of SOLID) expect((await classify('colours-bgr', images[want]!))[0]!.label).toBe(want);
  });

  it('refuses bad top_k and detect parameters, naming them', async () => {
    const zero = await post('colours', 'classify', images.red!, '?top_k=0');
    expect(zero.status).toBe(400);
    expect(((await zero.json()) as { error: { message: string } }).error.message).toBe('Expected integer between 1 and 1000 for top_k but received 0 of type number');
    const conf = await post('colours', 'classify', images.red!, '?conf=0.5');
    expect(conf.status).toBe(400);
    expect(((await conf.json()) as { error: { message: string } }).error.message).toContain('for parameter name but received "conf"');
  });
});

describe('the task decides the route', () => {
  it('detect on a classifier and classify on a detector: 400 WRONG_TASK naming the route to use', async () => {
    const onClassifier = await post('colours', 'detect', images.red!);
    expect(onClassifier.status).toBe(400);
    expect(await onClassifier.json()).toMatchObject({ error: { code: 'WRONG_TASK', message: 'model colours is a classifier (task classify), not a detector: use POST /v1/models/colours/classify' } });
    const onDetector = await post('demo', 'classify', images.red!);
    expect(onDetector.status).toBe(400);
    expect(await onDetector.json()).toMatchObject({ error: { code: 'WRONG_TASK', message: 'model demo is a detector (task detect), not a classifier: use POST /v1/models/demo/detect' } });
  });

  it('the service refuses the other task\'s call too (CLI, events), without counting it as a request of the model', async () => {
    const colours = srv.registry.get('colours');
    const before = colours.stats();
    await expect(colours.detectMany([images.red!])).rejects.toMatchObject({ code: 'WRONG_TASK', message: 'model colours is a classifier (task classify), not a detector: use classify' });
    await expect(srv.registry.get('demo').classifyMany([images.red!])).rejects.toMatchObject({ code: 'WRONG_TASK', message: 'model demo is a detector (task detect), not a classifier: use detect' });
    expect(colours.stats().fail).toEqual(before.fail);
    expect(colours.stats().inferenceCount).toBe(before.inferenceCount);
  });

  it('GET /v1/models shows each model\'s task, and a classifier without the detector\'s fields', async () => {
    const { models } = (await (await fetch(`${srv.url}/v1/models`)).json()) as { models: { name: string; task: string }[] };
    expect(Object.fromEntries(models.map((m) => [m.name, m.task]))).toEqual({ colours: 'classify', 'colours-noscale': 'classify', 'colours-bgr': 'classify', demo: 'detect' });
    // A detector's fields only where they apply.
    const one = async (m: string) => (await (await fetch(`${srv.url}/v1/models/${m}`)).json()) as Record<string, unknown>;
    const [colours, demo] = [await one('colours'), await one('demo')];
    expect(colours).toMatchObject({ task: 'classify', outputKind: 'logits', labels: expect.any(Array) });
    expect(colours).not.toHaveProperty('decoder');
    expect(colours).not.toHaveProperty('defaults');
    expect(demo).toMatchObject({ task: 'detect', decoder: expect.any(String), defaults: expect.objectContaining({ conf: expect.any(Number) }) });
    expect((models as unknown as Record<string, unknown>[]).find((m) => m.name === 'colours')).not.toHaveProperty('decoder');
  });
});

describe('KServe v2 classification extension', () => {
  const inferBody = (imgs: Uint8Array[], extra: object = {}) => JSON.stringify({
    inputs: [{ name: 'image', datatype: 'BYTES', shape: [imgs.length], data: imgs.map((i) => Buffer.from(i).toString('base64')), parameters: { content_type: 'base64' } }],
    ...extra,
  });
  const v2 = (model: string, body: string) => fetch(`${srv.url}/v2/models/${model}/infer`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });

  it('answers the class probabilities as FP32 [B, classes] under the model\'s output name', async () => {
    const res = await v2('colours', inferBody([images.red!, images.blue!]));
    const body = (await res.json()) as { outputs: { name: string; datatype: string; shape: number[]; data: number[] }[] };
    expect(res.status).toBe(200);
    const [out] = body.outputs;
    expect(out).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [2, 4] });
    const argmax = (row: number[]) => row.indexOf(Math.max(...row));
    expect([argmax(out!.data.slice(0, 4)), argmax(out!.data.slice(4))]).toEqual([1, 3]);
    expect(out!.data.slice(0, 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('outputs[].parameters.classification N answers Triton\'s "score:index:label" BYTES [B, N], best first', async () => {
    const res = await v2('colours', inferBody([images.red!, images.green!], { outputs: [{ name: 'logits', parameters: { classification: 2 } }] }));
    const body = (await res.json()) as { outputs: { name: string; datatype: string; shape: number[]; data: string[] }[] };
    expect(body.outputs[0]).toMatchObject({ name: 'logits', datatype: 'BYTES', shape: [2, 2] });
    const parsed = body.outputs[0]!.data.map((s) => s.split(':'));
    expect(parsed.map(([, i, l]) => `${i}:${l}`)).toEqual(['1:red', '0:neutral', '2:green', '0:neutral']);
    for (const [score] of parsed) expect(score).toMatch(/^\d\.\d{6}$/);
    expect(Number(parsed[0]![0])).toBeGreaterThan(Number(parsed[1]![0]));
  });

  it('request-level class_count applies to the default output; a count above the classes is a 400 naming it', async () => {
    const res = await v2('colours', inferBody([images.blue!], { parameters: { class_count: 1 } }));
    const body = (await res.json()) as { outputs: { shape: number[]; data: string[] }[] };
    expect(body.outputs[0]!.shape).toEqual([1, 1]);
    expect(body.outputs[0]!.data[0]).toMatch(/^0\.\d{6}:3:blue$/);
    const tooMany = await v2('colours', inferBody([images.blue!], { parameters: { class_count: 9 } }));
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { error: string }).error).toContain('parameters.class_count');
  });

  it('a detector still refuses the extension', async () => {
    const res = await v2('demo', inferBody([images.red!], { parameters: { class_count: 2 } }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain("classification extension is not supported");
  });

  it('model metadata lists the classifier\'s output', async () => {
    const meta = (await (await fetch(`${srv.url}/v2/models/colours`)).json()) as { outputs: object[] };
    expect(meta.outputs).toEqual([{ name: 'logits', datatype: 'FP32', shape: [-1, 4] }]);
  });

  it('gRPC ModelInfer answers the same strings as raw BYTES elements', async () => {
    const req = { ...bytesInferRequest('colours', [images.green!]), outputs: [{ name: 'logits', parameters: { classification: { int64_param: 3 } } }] };
    const { res } = await unary<{ outputs: { name: string; datatype: string; shape: string[] }[]; raw_output_contents: Buffer[] }>(grpc.inference, 'ModelInfer', req);
    expect(res.outputs[0]).toMatchObject({ name: 'logits', datatype: 'BYTES' });
    expect(res.outputs[0]!.shape.map(Number)).toEqual([1, 3]);
    const raw = res.raw_output_contents[0]!;
    const strings: string[] = [];
    for (let at = 0; at < raw.length;) {
      const len = raw.readUInt32LE(at);
      strings.push(raw.subarray(at + 4, at + 4 + len).toString('utf8'));
      at += 4 + len;
    }
    expect(strings.map((s) => s.split(':').slice(1).join(':'))).toEqual(['2:green', '0:neutral', '3:blue']);
  });
});
