/**
 * Reads a KServe v2 REST inference response back, as tritonclient's InferResult does: the JSON
 * header (the whole body, or its first Inference-Header-Content-Length bytes) and each binary
 * output's bytes, taken in output order from the data after it. For tests: the server only
 * writes responses (handlers/kserve/codec.ts encodeInferResponse).
 */
import type { KsInferResponse } from '../../handlers/kserve/codec.js';

export function decodeInferResponse(body: Uint8Array, headerLength: number | undefined): { response: KsInferResponse; binary: Map<string, Uint8Array> } {
  const end = headerLength ?? body.byteLength;
  const response = JSON.parse(new TextDecoder().decode(body.subarray(0, end))) as KsInferResponse;
  const binary = new Map<string, Uint8Array>();
  let at = end;
  for (const o of response.outputs) {
    const size = o.parameters?.binary_data_size;
    if (typeof size !== 'number') continue;
    binary.set(o.name, body.subarray(at, at + size));
    at += size;
  }
  return { response, binary };
}
