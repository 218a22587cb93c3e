/**
 * @module handlers/http/kserve/request-codec
 * Reads an inference request body: the JSON header (the whole body, or its first
 * Inference-Header-Content-Length bytes) and, for inputs with a binary_data_size parameter,
 * their binary data from the bytes after it, in input order. Validation happens here, once;
 * everything after gets decoded typed arrays with checked shapes.
 */
import { DetectError } from '../../../core/errors/index.js';
import { invalidParameterError } from '../../../core/validate/index.js';
import { decodeBytesElements } from './bytes-elements.js';
import { elementsOf, isNumericDatatype, numericFromBytes, SUPPORTED_DATATYPES } from './datatypes.js';
import { decodeJsonData } from './json-data.js';
import { BINARY_DATA_SIZE, type DecodedInput, type KsInferRequest, type KsRequestInput } from './wire-types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Splits the body and parses the JSON header. `headerLength` is the raw header value. */
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

/** Validates a request object (the JSON header here; the gRPC request mapped to the same shape). */
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

/** One input from its raw bytes (binary data, or gRPC raw_input_contents), or from JSON `data` when `raw` is undefined. */
export function decodeOne(input: KsRequestInput, raw: Uint8Array | undefined): DecodedInput {
  const count = elementsOf(input.shape);
  const { name, datatype, shape } = input;
  if (raw === undefined) return { name, datatype, shape, values: decodeJsonData(input, count) };
  if (datatype === 'BYTES') return { name, datatype, shape, values: decodeBytesElements(raw, count, name) };
  if (!isNumericDatatype(datatype)) throw new DetectError('INVALID_ARGUMENT', `input '${name}': unsupported datatype ${datatype}`);
  return { name, datatype, shape, values: numericFromBytes(raw, datatype, count, name) };
}

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
