/**
 * The KServe v2 wire format without a server: BYTES elements, request framing and validation,
 * input decoding, response framing (read back by the test helper tritonclient's way).
 */
import { describe, expect, it } from 'vitest';
import { DetectError } from '../../core/errors.js';
import { decodeInferResponse } from '../../test/helpers/kserve-response.js';
import { decodeBytesElements, decodeInputs, encodeBytesElements, encodeInferResponse, numericFromBytes, splitInferBody } from './codec.js';

const enc = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.byteLength));
  return out;
};
const expectCode = (fn: () => unknown, code: string, text: string) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DetectError);
    expect((err as DetectError).code).toBe(code);
    expect((err as DetectError).message).toContain(text);
    return;
  }
  throw new Error('expected a DetectError');
};

describe('BYTES elements (4-byte little-endian length prefix)', () => {
  it('lays elements out as tritonclient serialize_byte_tensor does', () => {
    const raw = encodeBytesElements([enc('ab'), enc('')]);
    expect([...raw]).toEqual([2, 0, 0, 0, 97, 98, 0, 0, 0, 0]);
    expect(decodeBytesElements(raw, 2, 'x').map((e) => [...e])).toEqual([[97, 98], []]);
  });
  it('rejects truncated and mis-counted data', () => {
    expectCode(() => decodeBytesElements(new Uint8Array([5, 0, 0, 0, 1]), 1, 'img'), 'INVALID_ARGUMENT', 'claims 5 bytes');
    expectCode(() => decodeBytesElements(new Uint8Array([1, 0]), 1, 'img'), 'INVALID_ARGUMENT', 'truncated length prefix');
    expectCode(() => decodeBytesElements(encodeBytesElements([enc('a')]), 2, 'img'), 'INVALID_ARGUMENT', 'shape says 2');
  });
});

describe('request framing (Inference-Header-Content-Length)', () => {
  const header = JSON.stringify({
    id: 'r1',
    inputs: [
      { name: 'image', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: 11 } },
      { name: 'x', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } },
      { name: 'y', shape: [2], datatype: 'INT32', data: [[7], [8]] },
    ],
  });
  const fp = new Uint8Array(new Float32Array([1.5, -2]).buffer);
  const body = concat(enc(header), encodeBytesElements([enc('abc')]), new Uint8Array([0, 0, 0, 0]), fp);

  it('splits the JSON header from binary data and decodes inputs in order', () => {
    const { request, binary } = splitInferBody(body, String(enc(header).byteLength));
    expect(request.id).toBe('r1');
    const [img, x, y] = decodeInputs(request, binary);
    expect((img.values as Uint8Array[]).map((e) => new TextDecoder().decode(e))).toEqual(['abc', '']);
    expect([...(x.values as Float32Array)]).toEqual([1.5, -2]);
    expect(x.values).toBeInstanceOf(Float32Array);
    expect([...(y.values as Int32Array)]).toEqual([7, 8]);
  });
  it('decodes FP32 data at an unaligned offset', () => {
    const h = JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } }] }).padEnd(61);
    const b = concat(enc(h), new Uint8Array(new Float32Array([3.25]).buffer));
    expect(enc(h).byteLength % 4).not.toBe(0);
    const { request, binary } = splitInferBody(b, String(enc(h).byteLength));
    expect([...(decodeInputs(request, binary)[0].values as Float32Array)]).toEqual([3.25]);
  });
  it('treats the whole body as JSON without the header', () => {
    const { request, binary } = splitInferBody(enc('{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]}'), undefined);
    expect(binary.byteLength).toBe(0);
    expect(decodeInputs(request, binary)[0].values).toEqual(new Float32Array([1]));
  });
  it('refuses bad framing with messages that name the problem', () => {
    expectCode(() => splitInferBody(body, '99999'), 'INVALID_ARGUMENT', 'Inference-Header-Content-Length');
    expectCode(() => splitInferBody(body, '10'), 'INVALID_ARGUMENT', 'not valid JSON');
    const { request, binary } = splitInferBody(concat(body, new Uint8Array(3)), String(enc(header).byteLength));
    expectCode(() => decodeInputs(request, binary), 'INVALID_ARGUMENT', '3 bytes of binary data');
    const short = splitInferBody(body.subarray(0, body.byteLength - 4), String(enc(header).byteLength));
    expectCode(() => decodeInputs(short.request, short.binary), 'INVALID_ARGUMENT', 'binary_data_size');
  });
  it('validates the request object', () => {
    expectCode(() => splitInferBody(enc('{"inputs":[]}'), undefined), 'INVALID_ARGUMENT', 'inputs');
    expectCode(() => splitInferBody(enc('{"inputs":[{"name":"a","shape":[1],"datatype":"FP64"}]}'), undefined), 'INVALID_ARGUMENT', 'datatype');
    const { request } = splitInferBody(enc('{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1]}]}'), undefined);
    expectCode(() => decodeInputs(request, new Uint8Array(0)), 'INVALID_ARGUMENT', 'needs 2 elements');
  });
});

describe('response framing', () => {
  const outputs = [
    { name: 'num_dets', datatype: 'INT32' as const, shape: [2], values: new Int32Array([1, 0]), binary: true },
    { name: 'det_scores', datatype: 'FP32' as const, shape: [2, 1], values: new Float32Array([0.5, 0]), binary: false },
    { name: 'det_classes', datatype: 'INT32' as const, shape: [2, 1], values: new Int32Array([3, -1]), binary: true },
  ];
  it('puts binary outputs after the JSON, in output order, and reads them back', () => {
    const r = encodeInferResponse({ model_name: 'm', id: 'q' }, outputs);
    expect(r.contentType).toBe('application/octet-stream');
    expect(r.body.byteLength).toBe((r.headerLength as number) + 16);
    const { response, binary } = decodeInferResponse(r.body, r.headerLength);
    expect(response.id).toBe('q');
    expect(response.outputs[0]).toEqual({ name: 'num_dets', shape: [2], datatype: 'INT32', parameters: { binary_data_size: 8 } });
    expect(response.outputs[1].data).toEqual([0.5, 0]);
    expect([...new Int32Array(binary.get('det_classes')!.slice().buffer)]).toEqual([3, -1]);
    expect([...new Int32Array(binary.get('num_dets')!.slice().buffer)]).toEqual([1, 0]);
  });
  it('is plain JSON when nothing is binary', () => {
    const r = encodeInferResponse({ model_name: 'm' }, outputs.map((o) => ({ ...o, binary: false })));
    expect(r.headerLength).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(r.body)).outputs[2].data).toEqual([3, -1]);
  });
});

describe('numericFromBytes', () => {
  it('copies exactly the given bytes, also from a Node Buffer view into pooled memory', () => {
    // A small Buffer.from lives in Node's shared 8 KiB pool: its .buffer holds other bytes too.
    const pool = Buffer.from(new Float32Array([9, 9, 1.5, -2, 9]).buffer);
    const view = pool.subarray(8, 16);
    const out = numericFromBytes(view, 'FP32', 2, 'x') as Float32Array;
    expect(Array.from(out)).toEqual([1.5, -2]);
    expect(out.buffer.byteLength).toBe(8);
  });

  it('refuses a byte count that does not match the shape, naming the input', () => {
    expect(() => numericFromBytes(new Uint8Array(7), 'FP32', 2, 'images')).toThrow("input 'images': FP32 shape needs 8 bytes of binary data but binary_data_size is 7");
  });
});
