/**
 * @module handlers/http/kserve/wire-types
 * The Open Inference Protocol (KServe v2) REST objects, field names exactly as in
 * kserve/open-inference-protocol specification/protocol/inference_rest.md.
 */

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
  readonly binary: boolean;
}

/** The binary-data extension's parameter names. */
export const BINARY_DATA_SIZE = 'binary_data_size';
export const BINARY_DATA = 'binary_data';
export const BINARY_DATA_OUTPUT = 'binary_data_output';
export const HEADER_LENGTH_HEADER = 'Inference-Header-Content-Length';
