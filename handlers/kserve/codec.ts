/**
 * @module handlers/kserve/codec
 * The Open Inference Protocol (KServe v2) wire format that the REST routes (rest.ts) and the gRPC
 * service (handlers/grpc/inference.ts) share: the request and response objects, field names
 * exactly as in kserve/open-inference-protocol specification/protocol/inference_rest.md, the
 * datatypes detectfn takes, and the tensor data in each of its forms.
 *
 * The sections follow a request: its body is inflated (Content-Encoding), split into the JSON
 * header and the binary data after it, and the header is validated once by checkRequest into a
 * typed KsInferRequest (gRPC maps its message to the same object and the same check). Each
 * input's data is then decoded against its header (JSON `data`, the binary-data extension's
 * bytes, or gRPC's raw_input_contents) into typed arrays whose sizes match their shapes.
 * Last, the outputs are encoded: JSON `data`, or binary data after the header. Nothing here
 * knows about models: infer.ts checks the request against the model it is for.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { DetectError, invalidParameterError } from '../../core/errors.js';
import type { TensorDType } from '../../core/types.js';
import { elementCount } from '../../core/batch.js';
import { decodeBase64Image } from '../request.js';

export type KsParameterValue = string | number | boolean;
export type KsParameters = Record<string, KsParameterValue>;

/** $request_input. `data` is absent when the tensor travels as binary data. */
export interface KsRequestInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  readonly parameters?: KsParameters;
  readonly data?: unknown;
}

/** $request_output. */
export interface KsRequestOutput {
  readonly name: string;
  readonly parameters?: KsParameters;
}

/** $inference_request. */
export interface KsInferRequest {
  readonly id?: string;
  readonly parameters?: KsParameters;
  readonly inputs: readonly KsRequestInput[];
  readonly outputs?: readonly KsRequestOutput[];
}

/** $response_output. */
export interface KsResponseOutput {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: KsParameters;
  data?: unknown[];
}

/** $inference_response. */
export interface KsInferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: KsParameters;
  outputs: KsResponseOutput[];
}

/** $metadata_tensor: -1 marks a variable-size dimension. */
export interface KsMetadataTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/** A decoded input: numeric tensors as typed arrays, BYTES as one Uint8Array per element. */
export interface DecodedInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly values: Float32Array | Int32Array | Uint8Array | Uint16Array | readonly Uint8Array[];
}

/** An output ready to serialise: numbers in a typed array, and whether it goes as binary. */
export interface EncodableOutput {
  readonly name: string;
  readonly datatype: 'FP32' | 'INT32' | 'BYTES';
  readonly shape: readonly number[];
  /** The binary form; for BYTES the length-prefixed elements (encodeBytesElements). */
  readonly values: Float32Array | Int32Array | Uint8Array;
  /** BYTES only: the elements as strings, for JSON `data`. */
  readonly text?: readonly string[];
  /** Over REST: after the JSON header as binary data, else JSON `data`. gRPC always sends raw bytes. */
  readonly binary: boolean;
}

/** The binary-data extension's parameter names and header. */
export const BINARY_DATA_SIZE = 'binary_data_size';
export const BINARY_DATA = 'binary_data';
export const BINARY_DATA_OUTPUT = 'binary_data_output';
export const HEADER_LENGTH_HEADER = 'Inference-Header-Content-Length';

// ---------------------------------------------------------------------------------------------
// Datatypes: the ones detectfn accepts, with their element sizes and typed arrays, and the
// datatype a model's dtype reports in its metadata. Binary tensor data is little-endian (the
// only byte order Node runs on here), so a copy reinterprets it directly.
// ---------------------------------------------------------------------------------------------
export const NUMERIC_DATATYPES = {
  FP32: { bytes: 4, make: (b: ArrayBuffer) => new Float32Array(b), from: (a: number[]) => Float32Array.from(a) },
  FP16: { bytes: 2, make: (b: ArrayBuffer) => new Uint16Array(b), from: (a: number[]) => Uint16Array.from(a) },
  INT32: { bytes: 4, make: (b: ArrayBuffer) => new Int32Array(b), from: (a: number[]) => Int32Array.from(a) },
  UINT8: { bytes: 1, make: (b: ArrayBuffer) => new Uint8Array(b), from: (a: number[]) => Uint8Array.from(a) },
} as const;

export type NumericDatatype = keyof typeof NUMERIC_DATATYPES;
export const SUPPORTED_DATATYPES = [...Object.keys(NUMERIC_DATATYPES), 'BYTES'] as const;

export function isNumericDatatype(d: string): d is NumericDatatype {
  return Object.hasOwn(NUMERIC_DATATYPES, d);
}

const FROM_TENSOR: Partial<Record<TensorDType, string>> = {
  float32: 'FP32',
  float16: 'FP16',
  int32: 'INT32',
  uint8: 'UINT8',
  int8: 'INT8',
  int64: 'INT64',
  bool: 'BOOL',
};

export function kserveDatatype(dtype: string): string {
  const d = FROM_TENSOR[dtype as TensorDType];
  if (d === undefined) throw new DetectError('INTERNAL', `no KServe datatype for model dtype ${dtype}`);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Request body. First its Content-Encoding (gzip or deflate, as Triton's clients send with
// request_compression_algorithm): inflating stops as soon as the output passes the /v2 body
// cap, so a small zip bomb costs at most the cap in memory and never inflates whole.
// ---------------------------------------------------------------------------------------------
const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);

export const SUPPORTED_ENCODINGS = ['gzip', 'deflate', 'identity'] as const;

async function inflateWith(fn: typeof gunzip, body: Uint8Array, limit: number, encoding: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fn(body, { maxOutputLength: limit }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DetectError('PAYLOAD_TOO_LARGE', `request body inflates (Content-Encoding: ${encoding}) past ${limit} bytes`, { cause: err });
    }
    throw new DetectError('INVALID_ARGUMENT', `request body is not valid ${encoding} data (Content-Encoding: ${encoding}): ${(err as Error).message}`, { cause: err });
  }
}

/** `encoding` is the raw Content-Encoding header; `limit` bounds the inflated bytes. */
export async function decodeContentEncoding(body: Uint8Array, encoding: string | undefined, limit: number): Promise<Uint8Array> {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === 'identity' || name === '') return body;
  if (name === 'gzip' || name === 'x-gzip') return inflateWith(gunzip, body, limit, 'gzip');
  if (name === 'deflate') {
    // HTTP's deflate is the zlib format (RFC 9110), but some clients send a raw deflate stream.
    const zlibHeader = body.byteLength >= 2 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0;
    return inflateWith(zlibHeader ? inflate : inflateRaw, body, limit, 'deflate');
  }
  throw new DetectError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding '${encoding}' is not supported; send ${SUPPORTED_ENCODINGS.join(', ')}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The JSON header (the whole body, or its first Inference-Header-Content-Length bytes),
 * validated, and the binary data after it. `headerLength` is the raw header value.
 */
export function splitInferBody(body: Uint8Array, headerLength: string | undefined): { request: KsInferRequest; binary: Uint8Array } {
  let jsonEnd = body.byteLength;
  if (headerLength !== undefined) {
    const n = Number(headerLength);
    if (!/^\d+$/.test(headerLength.trim()) || n > body.byteLength) {
      throw invalidParameterError('Inference-Header-Content-Length', `integer between 0 and ${body.byteLength} (the body length)`, headerLength);
    }
    jsonEnd = n;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body.subarray(0, jsonEnd)));
  } catch (err) {
    throw new DetectError('INVALID_ARGUMENT', `inference request header is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return { request: checkRequest(parsed), binary: body.subarray(jsonEnd) };
}

/**
 * The one validation of a request object's structure (the JSON header here; the gRPC message
 * mapped to the same shape): what it checks, nothing after it checks again. Whether the request
 * fits its model is infer.ts's planInfer; whether each input's data fits its shape, decodeOne's.
 */
export function checkRequest(v: unknown): KsInferRequest {
  if (!isObject(v)) throw invalidParameterError('inference request', 'JSON object', v);
  if (v.id !== undefined && typeof v.id !== 'string') throw invalidParameterError('id', 'string', v.id);
  if (v.parameters !== undefined && !isObject(v.parameters)) throw invalidParameterError('parameters', 'object', v.parameters);
  if (!Array.isArray(v.inputs) || v.inputs.length === 0) throw invalidParameterError('inputs', 'non-empty array', v.inputs);
  if (v.outputs !== undefined && !Array.isArray(v.outputs)) throw invalidParameterError('outputs', 'array', v.outputs);
  v.inputs.forEach((input, i) => {
    if (!isObject(input) || typeof input.name !== 'string') throw invalidParameterError(`inputs[${i}].name`, 'string', isObject(input) ? input.name : input);
    const shape = input.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw invalidParameterError(`inputs[${i}].shape`, 'array of non-negative integers', shape);
    }
    if (typeof input.datatype !== 'string' || !(SUPPORTED_DATATYPES as readonly string[]).includes(input.datatype)) {
      throw invalidParameterError(`inputs[${i}].datatype`, `one of ${SUPPORTED_DATATYPES.join(', ')}`, input.datatype);
    }
    if (input.parameters !== undefined && !isObject(input.parameters)) throw invalidParameterError(`inputs[${i}].parameters`, 'object', input.parameters);
  });
  (v.outputs ?? []).forEach((output: unknown, i: number) => {
    if (!isObject(output) || typeof output.name !== 'string') throw invalidParameterError(`outputs[${i}].name`, 'string', isObject(output) ? output.name : output);
    if (output.parameters !== undefined && !isObject(output.parameters)) throw invalidParameterError(`outputs[${i}].parameters`, 'object', output.parameters);
  });
  return v as unknown as KsInferRequest;
}

// ---------------------------------------------------------------------------------------------
// Input data. Each input's data, in the form it came, becomes typed values whose count matches
// its shape: binary data (REST, claimed in input order by each input's binary_data_size) or
// gRPC's raw_input_contents, both raw little-endian bytes; or JSON `data`, nested or flat
// row-major arrays (gRPC's typed `contents` arrive the same way). BYTES elements are encoded
// images: in binary form each is a 4-byte little-endian length and its bytes (tritonclient's
// serialize_byte_tensor); in JSON each is base64 text, or `{"b64": "..."}` as KServe's own
// server accepts, since raw image bytes cannot travel in a JSON string.
// ---------------------------------------------------------------------------------------------
/** Decodes every input, taking binary data in input order; all of it must be used. */
export function decodeInputs(request: KsInferRequest, binary: Uint8Array): DecodedInput[] {
  let at = 0;
  const out = request.inputs.map((input, i) => {
    const size = input.parameters?.[BINARY_DATA_SIZE];
    if (size === undefined) return decodeOne(input, undefined);
    if (!Number.isInteger(size) || (size as number) < 0 || at + (size as number) > binary.byteLength) {
      throw invalidParameterError(`inputs[${i}].parameters.${BINARY_DATA_SIZE}`, `integer between 0 and ${binary.byteLength - at} (binary bytes left)`, size);
    }
    const raw = binary.subarray(at, at + (size as number));
    at += size as number;
    return decodeOne(input, raw);
  });
  if (at !== binary.byteLength) {
    throw new DetectError('INVALID_ARGUMENT', `${binary.byteLength - at} bytes of binary data after the inputs were not claimed by any binary_data_size`);
  }
  return out;
}

/** One input from its raw bytes (binary data, or gRPC raw_input_contents), or from JSON `data` when `raw` is undefined. */
export function decodeOne(input: KsRequestInput, raw: Uint8Array | undefined): DecodedInput {
  const count = elementCount(input.shape);
  const { name, datatype, shape } = input;
  if (raw === undefined) return { name, datatype, shape, values: decodeJsonData(input, count) };
  if (datatype === 'BYTES') return { name, datatype, shape, values: decodeBytesElements(raw, count, name) };
  if (!isNumericDatatype(datatype)) throw new DetectError('INVALID_ARGUMENT', `input '${name}': unsupported datatype ${datatype}`);
  return { name, datatype, shape, values: numericFromBytes(raw, datatype, count, name) };
}

/** Copies `raw` (possibly unaligned inside the body) into a typed array of `datatype`. */
export function numericFromBytes(raw: Uint8Array, datatype: NumericDatatype, count: number, name: string) {
  const { bytes, make } = NUMERIC_DATATYPES[datatype];
  if (raw.byteLength !== count * bytes) {
    throw new DetectError(
      'INVALID_ARGUMENT',
      `input '${name}': ${datatype} shape needs ${count * bytes} bytes of binary data but binary_data_size is ${raw.byteLength}`,
    );
  }
  // Uint8Array's own slice copies; a Node Buffer's `slice` is a view of its (pooled) memory.
  return make(Uint8Array.prototype.slice.call(raw).buffer);
}

export function decodeBytesElements(raw: Uint8Array, expected: number, name: string): Uint8Array[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < raw.byteLength) {
    if (at + 4 > raw.byteLength) {
      throw new DetectError('INVALID_ARGUMENT', `input '${name}': BYTES element ${out.length} has a truncated length prefix`);
    }
    const len = view.getUint32(at, true);
    if (at + 4 + len > raw.byteLength) {
      throw new DetectError('INVALID_ARGUMENT', `input '${name}': BYTES element ${out.length} claims ${len} bytes but only ${raw.byteLength - at - 4} remain`);
    }
    out.push(raw.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (out.length !== expected) {
    throw new DetectError('INVALID_ARGUMENT', `input '${name}': shape says ${expected} BYTES elements but the data holds ${out.length}`);
  }
  return out;
}

/** Deepest array nesting accepted in `data`; real tensors have a rank of a few. */
export const MAX_DATA_DEPTH = 32;

/**
 * Row-major elements of `data` (nesting need not match the shape exactly: flat, or nested
 * like the shape, are both common), at most MAX_DATA_DEPTH arrays deep. Iterative, so
 * `[[[[...]]]]` 100,000 deep is a 400, not a stack overflow and a 500.
 */
function flatten(data: unknown, name: string, maxDepth = MAX_DATA_DEPTH): unknown[] {
  const out: unknown[] = [];
  const stack: { items: readonly unknown[]; at: number }[] = [];
  let v: unknown = data;
  for (;;) {
    if (Array.isArray(v)) {
      if (stack.length === maxDepth) {
        throw new DetectError('INVALID_ARGUMENT', `input '${name}': data is nested more than ${maxDepth} arrays deep`);
      }
      stack.push({ items: v, at: 0 });
    } else out.push(v);
    let top = stack.at(-1);
    while (top !== undefined && top.at === top.items.length) {
      stack.pop();
      top = stack.at(-1);
    }
    if (top === undefined) return out;
    v = top.items[top.at++];
  }
}

export function decodeJsonData(input: KsRequestInput, count: number): DecodedInput['values'] {
  const { name, datatype } = input;
  if (input.data === undefined) {
    throw new DetectError('INVALID_ARGUMENT', `input '${name}' has neither data nor a binary_data_size parameter`);
  }
  const flat = flatten(input.data, name);
  if (flat.length !== count) {
    throw new DetectError('INVALID_ARGUMENT', `input '${name}': shape [${input.shape.join(',')}] needs ${count} elements but data has ${flat.length}`);
  }
  if (datatype === 'BYTES') {
    return flat.map((el, i) => {
      const text = typeof el === 'object' && el !== null && 'b64' in el ? (el as { b64: unknown }).b64 : el;
      return decodeBase64Image(text, `inputs['${name}'].data[${i}]`);
    });
  }
  if (!isNumericDatatype(datatype)) throw new DetectError('INVALID_ARGUMENT', `input '${name}': unsupported datatype ${datatype}`);
  const bad = flat.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) throw invalidParameterError(`inputs['${name}'].data[${bad}]`, `finite number (${datatype})`, flat[bad]);
  return NUMERIC_DATATYPES[datatype].from(flat as number[]);
}

// ---------------------------------------------------------------------------------------------
// Response. Outputs flagged binary go after the JSON header in output order, each announced by
// a binary_data_size parameter, and the header's byte length is returned for the
// Inference-Header-Content-Length header; with no binary output the body is plain JSON and
// there is no header length. BYTES outputs use the same length-prefixed layout as inputs.
// ---------------------------------------------------------------------------------------------
export interface EncodedResponse {
  readonly body: Uint8Array;
  /** Set only when binary data follows the JSON. */
  readonly headerLength?: number;
  readonly contentType: string;
}

export function encodeInferResponse(head: Omit<KsInferResponse, 'outputs'>, outputs: readonly EncodableOutput[]): EncodedResponse {
  const binaries: Uint8Array[] = [];
  const wire: KsResponseOutput[] = outputs.map((o) => {
    const base = { name: o.name, shape: [...o.shape], datatype: o.datatype };
    if (!o.binary) return { ...base, data: o.text ? [...o.text] : Array.from(o.values) };
    const bytes = new Uint8Array(o.values.buffer, o.values.byteOffset, o.values.byteLength);
    binaries.push(bytes);
    return { ...base, parameters: { [BINARY_DATA_SIZE]: bytes.byteLength } };
  });
  const json = new TextEncoder().encode(JSON.stringify({ ...head, outputs: wire }));
  if (binaries.length === 0) return { body: json, contentType: 'application/json' };
  const body = new Uint8Array(json.byteLength + binaries.reduce((n, b) => n + b.byteLength, 0));
  body.set(json, 0);
  let at = json.byteLength;
  for (const b of binaries) {
    body.set(b, at);
    at += b.byteLength;
  }
  return { body, headerLength: json.byteLength, contentType: 'application/octet-stream' };
}

export function encodeBytesElements(elements: readonly Uint8Array[]): Uint8Array {
  const total = elements.reduce((n, e) => n + 4 + e.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of elements) {
    view.setUint32(at, e.byteLength, true);
    out.set(e, at + 4);
    at += 4 + e.byteLength;
  }
  return out;
}
