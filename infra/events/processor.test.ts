/**
 * The processor's bookkeeping with STAND-INS: an in-memory ObjectStore (so S3 faults can be
 * injected on demand, which the real radosgw cannot do) and a ModelService whose detect() is
 * gated by the test. Real S3 + real models are in test/integration/s3-events.test.ts.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DetectError } from '../../core/errors.js';
import { createModelStats } from '../metrics.js';
import type { ModelService } from '../model/registry.js';
import type { DetectResult } from '../model/detect.js';
import { createEventProcessor, createSemaphore } from './processor.js';
import { type ObjectStore, readLimited } from './stores.js';

function memoryStore() {
  const objects = new Map<string, { body: Uint8Array; meta: Record<string, string>; eTag: string }>();
  const faults: { op: string; key: string; times: number; err: unknown }[] = [];
  const fault = (op: string, key: string) => {
    const f = faults.find((x) => x.op === op && x.key === key && x.times > 0);
    if (f) { f.times -= 1; throw f.err; }
  };
  let live = 0;
  let peak = 0;
  const store: ObjectStore = {
    async read(b, k, max) {
      fault('read', k);
      const o = objects.get(`${b}/${k}`);
      if (!o) throw new DetectError('NOT_FOUND', `${k} missing`);
      const bytes = await readLimited(Readable.from([o.body]), max, k, o.body.length);
      peak = Math.max(peak, ++live);
      return { bytes, eTag: o.eTag, versionId: undefined };
    },
    async eTagOf(b, k) {
      fault('head', k);
      return objects.get(`${b}/${k}`)?.eTag;
    },
    async metadataOf(b, k) {
      fault('head', k);
      return objects.get(`${b}/${k}`)?.meta;
    },
    async put(b, k, body, meta) {
      fault('put', k);
      objects.set(`${b}/${k}`, { body: new TextEncoder().encode(body), meta, eTag: String(body.length) });
    },
    async delete(b, k) {
      fault('delete', k);
      objects.delete(`${b}/${k}`);
    },
    async *list() {},
  };
  const add = (k: string, body: Uint8Array) => objects.set(`in/${k}`, { body, meta: {}, eTag: `e-${k}` });
  return { store, objects, faults, add, released: () => (live -= 1), peak: () => peak, json: (k: string) => JSON.parse(new TextDecoder().decode(objects.get(k)!.body)) };
}

function standInModel(mem: ReturnType<typeof memoryStore>) {
  const calls: number[] = [];
  const model: ModelService = {
    describe: () => ({ name: 'demo', version: '3' }) as ReturnType<ModelService['describe']>,
    health: () => ({ state: 'ready' }),
    stats: () => createModelStats().snapshot(),
    async detect(bytes): Promise<DetectResult> {
      calls.push(bytes.length);
      await new Promise((r) => setImmediate(r));
      mem.released();
      if (bytes[0] === 0) throw new DetectError('UNDECODABLE_IMAGE', 'Input buffer contains unsupported image format');
      return { model: 'demo', version: '3', image: { width: 4, height: 4 }, batchSize: 1, detections: [{ box: [0, 0, 1, 1], score: 1, classId: 0, label: 'x' }], timings: { decode: 0, preprocess: 0, queue: 0, infer: 0, postprocess: 0, total: 0 } };
    },
    detectTensor: () => Promise.reject(new Error('unused')),
    preprocess: () => Promise.reject(new Error('unused')),
    classifyMany: () => Promise.reject(new Error('unused')),
    classifyTensor: () => Promise.reject(new Error('unused')),
    detectMany: () => Promise.reject(new Error('unused')),
    close: async () => undefined,
  };
  return { model, calls };
}

function setup(concurrency = 4) {
  const mem = memoryStore();
  const { model, calls } = standInModel(mem);
  const dest = (prefix: string) => ({ store: mem.store, bucket: 'out', prefix, uri: `s3://out/${prefix}` });
  const processor = createEventProcessor({
    model: () => model, input: mem.store, output: dest('results/'), errors: dest('errors/'), concurrency, maxObjectBytes: 100,
    sleep: async () => undefined, now: () => new Date('2026-01-01T00:00:00Z'),
  });
  return { mem, calls, processor };
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('createEventProcessor', () => {
  it('keeps at most `concurrency` objects in memory during a burst of 1,000 records', async () => {
    const { mem, processor } = setup(4);
    const recs = Array.from({ length: 1000 }, (_, i) => (mem.add(`k${i}.png`, new Uint8Array([1, i % 256])), { bucket: 'in', key: `k${i}.png` }));
    const out = await processor.process(recs);
    expect(out.every((o) => o.status === 'processed')).toBe(true);
    expect(mem.peak()).toBe(4);
    expect(mem.json('out/results/k7.png.json')).toMatchObject({ model: { name: 'demo', version: '3' }, input: { bucket: 'in', key: 'k7.png', eTag: 'e-k7.png' } });
  });

  it('fails bad objects alone, with error records, and retries transient S3 errors', async () => {
    const { mem, processor, calls } = setup();
    mem.add('good.png', new Uint8Array([1]));
    mem.add('flaky.png', new Uint8Array([1]));
    mem.add('big.png', new Uint8Array(101).fill(1));
    mem.add('corrupt.png', new Uint8Array([0]));
    mem.faults.push({ op: 'read', key: 'flaky.png', times: 2, err: Object.assign(new Error('slow'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }) });
    const keys = ['good.png', 'missing.png', 'big.png', 'corrupt.png', 'flaky.png'];
    const out = await processor.process(keys.map((key) => ({ bucket: 'in', key, eTag: key === 'missing.png' ? 'x' : undefined })));
    expect(out.map((o) => [o.key, o.status, o.error?.code])).toEqual([
      ['good.png', 'processed', undefined], ['missing.png', 'failed', 'NOT_FOUND'], ['big.png', 'failed', 'PAYLOAD_TOO_LARGE'],
      ['corrupt.png', 'failed', 'UNDECODABLE_IMAGE'], ['flaky.png', 'processed', undefined],
    ]);
    expect(calls).toHaveLength(3);
    expect(mem.json('out/errors/big.png.json')).toMatchObject({ input: { key: 'big.png' }, code: 'PAYLOAD_TOO_LARGE', attempts: 1, failedAt: '2026-01-01T00:00:00.000Z' });
  });

  it('skips a record whose current result exists without inference, and its own outputs', async () => {
    const { mem, processor, calls } = setup();
    mem.add('a.png', new Uint8Array([1]));
    await processor.process([{ bucket: 'in', key: 'a.png' }]);
    const again = await processor.process([{ bucket: 'in', key: 'a.png' }, { bucket: 'out', key: 'results/a.png.json' }]);
    expect(again.map((o) => o.reason)).toEqual(['already-done', 'own-output']);
    expect(calls).toHaveLength(1);
  });

  it('reports a failed error-record write without a key, and cancels records not yet started', async () => {
    const { mem, processor } = setup(1);
    mem.faults.push({ op: 'put', key: 'errors/gone.png.json', times: 99, err: Object.assign(new Error('denied'), { $metadata: { httpStatusCode: 403 } }) });
    const [gone] = await processor.process([{ bucket: 'in', key: 'gone.png' }]);
    expect(gone).toMatchObject({ status: 'failed', error: { code: 'NOT_FOUND' } });
    expect(gone!.errorKey).toBeUndefined();
    const ctl = new AbortController();
    ['a', 'b', 'c'].forEach((k) => mem.add(k, new Uint8Array([1])));
    const out = await processor.process(['a', 'b', 'c'].map((key) => ({ bucket: 'in', key })), { onOutcome: () => ctl.abort(), signal: ctl.signal });
    // 'b' may already hold the permit when 'a' reports (in-flight work finishes); 'c' cannot.
    expect(out[0]!.status).toBe('processed');
    expect(out[2]!.status).toBe('cancelled');
    expect(mem.objects.has('out/results/c.json')).toBe(false);
  });

  it('handles events for one key one at a time, so a late event racing the newer one never writes last', async () => {
    const { mem, processor, calls } = setup();
    mem.add('v.png', new Uint8Array([1]));
    const out = await processor.process([{ bucket: 'in', key: 'v.png', sequencer: '0B' }, { bucket: 'in', key: 'v.png', sequencer: '0A' }]);
    expect(out.map((o) => [o.status, o.reason])).toEqual([['processed', undefined], ['skipped', 'superseded']]);
    expect(calls).toHaveLength(1);
    expect(mem.json('out/results/v.png.json').input.sequencer).toBe('0B');
    expect(mem.objects.get('out/results/v.png.json')!.meta).toMatchObject({ 'detectfn-sequencer': '0B' });
  });

  it('removes a stale error record after a success; when it cannot, the result stands and the event stays for redelivery', async () => {
    const { mem, processor } = setup();
    await processor.process([{ bucket: 'in', key: 'late.png' }]);
    expect(mem.json('out/errors/late.png.json')).toMatchObject({ code: 'NOT_FOUND' });
    mem.add('late.png', new Uint8Array([1]));
    mem.faults.push({ op: 'delete', key: 'errors/late.png.json', times: 4, err: Object.assign(new Error('down'), { code: 'ECONNREFUSED' }) });
    const [stuck] = await processor.process([{ bucket: 'in', key: 'late.png' }]);
    // Not a new error record next to the good result: a failure without one, so it is redelivered.
    expect(stuck).toMatchObject({ status: 'failed', error: { code: 'STORE_ERROR', attempts: 4 } });
    expect(stuck!.errorKey).toBeUndefined();
    expect(mem.json('out/results/late.png.json').input.key).toBe('late.png');
    expect(mem.json('out/errors/late.png.json')).toMatchObject({ code: 'NOT_FOUND' });
    const [again] = await processor.process([{ bucket: 'in', key: 'late.png' }]);
    expect(again).toMatchObject({ status: 'skipped', reason: 'already-done' });
    expect(mem.objects.has('out/errors/late.png.json')).toBe(false);
  });

  it("keeps a later event's failure: a late event for the key is superseded by the error record too", async () => {
    const { mem, processor, calls } = setup();
    mem.add('w.png', new Uint8Array([0]));
    const [failed] = await processor.process([{ bucket: 'in', key: 'w.png', sequencer: '0B' }]);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'UNDECODABLE_IMAGE' } });
    expect(mem.objects.get('out/errors/w.png.json')!.meta).toEqual({ 'detectfn-sequencer': '0B' });
    mem.add('w.png', new Uint8Array([1]));
    const [late] = await processor.process([{ bucket: 'in', key: 'w.png', sequencer: '0A' }]);
    expect(late).toMatchObject({ status: 'skipped', reason: 'superseded' });
    expect(calls).toHaveLength(1);
    expect(mem.objects.has('out/results/w.png.json')).toBe(false);
    expect(mem.json('out/errors/w.png.json')).toMatchObject({ code: 'UNDECODABLE_IMAGE' });
  });

  it("removes a late event's error record that sits beside a newer result once the late event is redelivered", async () => {
    const { mem, processor } = setup();
    mem.add('s.png', new Uint8Array([1]));
    await processor.process([{ bucket: 'in', key: 's.png', sequencer: '0B' }]);
    // The late event's first try cannot even HEAD the result: it leaves a transient error record.
    mem.faults.push({ op: 'head', key: 'results/s.png.json', times: 4, err: Object.assign(new Error('down'), { code: 'ECONNREFUSED' }) });
    const [first] = await processor.process([{ bucket: 'in', key: 's.png', sequencer: '0A' }]);
    expect(first).toMatchObject({ status: 'failed', error: { code: 'STORE_ERROR' }, errorKey: 'errors/s.png.json' });
    const [again] = await processor.process([{ bucket: 'in', key: 's.png', sequencer: '0A' }]);
    expect(again).toMatchObject({ status: 'skipped', reason: 'superseded' });
    expect(mem.objects.has('out/errors/s.png.json')).toBe(false);
    expect(mem.json('out/results/s.png.json').input.sequencer).toBe('0B');
  });
});

describe('createSemaphore', () => {
  it('never runs more than `permits` at once, and runs waiters in arrival order', async () => {
    const sem = createSemaphore(3);
    const gates = Array.from({ length: 10 }, deferred);
    const started: number[] = [];
    let live = 0;
    let peak = 0;
    const all = gates.map((g, i) =>
      sem.run(async () => {
        started.push(i);
        peak = Math.max(peak, ++live);
        await g.promise;
        live -= 1;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    expect(sem.waiting()).toBe(7);
    for (const g of gates) {
      g.resolve();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(peak).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sem.active()).toBe(0);
  });

  it('returns the permit when the task throws', async () => {
    const sem = createSemaphore(1);
    await expect(sem.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(sem.run(async () => 7)).resolves.toBe(7);
    expect(sem.active()).toBe(0);
  });

  it('rejects a permit count that is not a positive integer', () => {
    expect(() => createSemaphore(0)).toThrow(/permits/);
  });
});
