/**
 * @module handlers/http/kserve/response-codec
 * Serialises an inference response. Outputs flagged binary go after the JSON header in output
 * order, each announced by a binary_data_size parameter, and the header's byte length is
 * returned for the Inference-Header-Content-Length header; with no binary output the body is
 * plain JSON and there is no header length.
 */
import { BINARY_DATA_SIZE, type EncodableOutput, type KsInferResponse, type KsResponseOutput } from './wire-types.js';

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

/** Reads a response back (for tests and clients): the JSON header and each binary output's bytes. */
export function decodeInferResponse(body: Uint8Array, headerLength: number | undefined): { response: KsInferResponse; binary: Map<string, Uint8Array> } {
  const end = headerLength ?? body.byteLength;
  const response = JSON.parse(new TextDecoder().decode(body.subarray(0, end))) as KsInferResponse;
  const binary = new Map<string, Uint8Array>();
  let at = end;
  for (const o of response.outputs) {
    const size = o.parameters?.[BINARY_DATA_SIZE];
    if (typeof size !== 'number') continue;
    binary.set(o.name, body.subarray(at, at + size));
    at += size;
  }
  return { response, binary };
}
